-- The whole contract's state. Rows that change under concurrency carry a
-- `version` that every UPDATE bumps and checks (optimistic concurrency).
-- The constraints make wrong states impossible where the database can
-- enforce them; the rest is checked by `concertctl check`.

CREATE TABLE users (
  id         CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name       VARCHAR(100) NOT NULL,
  balance    BIGINT NOT NULL DEFAULT 0,
  version    BIGINT UNSIGNED NOT NULL DEFAULT 0,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  CONSTRAINT users_balance_range CHECK (balance BETWEEN 0 AND 1000000000000)
) ENGINE=InnoDB;

CREATE TABLE concerts (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name       VARCHAR(200) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id)
) ENGINE=InnoDB;

CREATE TABLE concert_dates (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  concert_id  BIGINT UNSIGNED NOT NULL,
  play_date   DATE NOT NULL,
  total_seats INT NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY concert_dates_concert_date (concert_id, play_date),
  CONSTRAINT concert_dates_concert FOREIGN KEY (concert_id) REFERENCES concerts (id),
  CONSTRAINT concert_dates_seat_count CHECK (total_seats BETWEEN 1 AND 1000)
) ENGINE=InnoDB;

-- A seat is free when status = 'FREE', or when it is 'HELD' with a hold that
-- has expired (the database clock decides); a sweep only tidies such rows.
CREATE TABLE seats (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  concert_date_id BIGINT UNSIGNED NOT NULL,
  seat_number     INT NOT NULL,
  price           BIGINT NOT NULL,
  status          ENUM('FREE', 'HELD', 'SOLD') NOT NULL DEFAULT 'FREE',
  holder_id       CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  hold_expires_at DATETIME(3) NULL,
  version         BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY seats_date_number (concert_date_id, seat_number),
  KEY seats_holder (holder_id),
  CONSTRAINT seats_date FOREIGN KEY (concert_date_id) REFERENCES concert_dates (id),
  CONSTRAINT seats_holder FOREIGN KEY (holder_id) REFERENCES users (id),
  CONSTRAINT seats_number_positive CHECK (seat_number >= 1),
  CONSTRAINT seats_price_range CHECK (price BETWEEN 0 AND 1000000000000),
  CONSTRAINT seats_status_shape CHECK (
    (status = 'FREE' AND holder_id IS NULL AND hold_expires_at IS NULL) OR
    (status = 'HELD' AND holder_id IS NOT NULL AND hold_expires_at IS NOT NULL) OR
    (status = 'SOLD' AND holder_id IS NOT NULL))
) ENGINE=InnoDB;

CREATE TABLE reservations (
  id          CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id     CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  seat_id     BIGINT UNSIGNED NOT NULL,
  price       BIGINT NOT NULL,
  status      ENUM('TEMPORARILY_RESERVED', 'PAID', 'EXPIRED') NOT NULL DEFAULT 'TEMPORARILY_RESERVED',
  expires_at  DATETIME(3) NOT NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  version     BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY reservations_user_status (user_id, status, expires_at),
  KEY reservations_seat (seat_id),
  KEY reservations_status_expiry (status, expires_at),
  CONSTRAINT reservations_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT reservations_seat FOREIGN KEY (seat_id) REFERENCES seats (id),
  CONSTRAINT reservations_price_range CHECK (price BETWEEN 0 AND 1000000000000)
) ENGINE=InnoDB;

CREATE TABLE payments (
  id             CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  reservation_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id        CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  amount         BIGINT NOT NULL,
  paid_at        DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY payments_one_per_reservation (reservation_id),
  KEY payments_user (user_id),
  CONSTRAINT payments_reservation FOREIGN KEY (reservation_id) REFERENCES reservations (id),
  CONSTRAINT payments_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT payments_amount_range CHECK (amount BETWEEN 0 AND 1000000000000)
) ENGINE=InnoDB;

-- Every balance change, so that balance = SUM(amount) per user at all times:
-- charges are positive, payments negative.
CREATE TABLE balance_ledger (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id       CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  kind          ENUM('CHARGE', 'PAYMENT') NOT NULL,
  amount        BIGINT NOT NULL,
  balance_after BIGINT NOT NULL,
  payment_id    CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY balance_ledger_user (user_id),
  UNIQUE KEY balance_ledger_one_per_payment (payment_id),
  CONSTRAINT balance_ledger_user FOREIGN KEY (user_id) REFERENCES users (id),
  CONSTRAINT balance_ledger_payment FOREIGN KEY (payment_id) REFERENCES payments (id),
  CONSTRAINT balance_ledger_sign CHECK (
    (kind = 'CHARGE' AND amount > 0 AND payment_id IS NULL) OR
    (kind = 'PAYMENT' AND amount <= 0 AND payment_id IS NOT NULL)),
  CONSTRAINT balance_ledger_after_range CHECK (balance_after BETWEEN 0 AND 1000000000000)
) ENGINE=InnoDB;

-- The first response to a request with an Idempotency-Key, stored in the
-- same transaction as its effect and repeated for a retry with the same key.
CREATE TABLE idempotency_keys (
  user_id      CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  idem_key     VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  request_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  status_code  SMALLINT NOT NULL,
  response     TEXT NOT NULL,
  created_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id, idem_key),
  KEY idempotency_keys_created (created_at),
  CONSTRAINT idempotency_keys_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB;
