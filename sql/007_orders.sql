-- Orders of several holds (POST /payments {reservationIds: [...]}): one
-- payment for the sum, and which reservations it paid. A reservation is paid
-- by at most one payment (unique key). payments.reservation_id stays: the
-- order's first reservation (what the answer's reservationId names).
CREATE TABLE payment_reservations (
  payment_id     CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  reservation_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  PRIMARY KEY (payment_id, reservation_id),
  UNIQUE KEY payment_reservations_one_per_reservation (reservation_id),
  CONSTRAINT payment_reservations_payment FOREIGN KEY (payment_id) REFERENCES payments (id),
  CONSTRAINT payment_reservations_reservation FOREIGN KEY (reservation_id) REFERENCES reservations (id)
) ENGINE=InnoDB;

-- Every payment made before orders paid exactly its one reservation.
INSERT INTO payment_reservations (payment_id, reservation_id) SELECT id, reservation_id FROM payments;
