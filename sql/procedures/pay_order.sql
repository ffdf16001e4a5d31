-- POST /payments' write in one round trip (store/money.cpp pay_order()):
-- the caller read the payer and the order's holds (one SELECT) and decided
-- with the rules; this pays them, all or nothing, taking the exclusive
-- locks in the order every write takes them (the payer, then the seats and
-- reservations) before any insert checks a foreign key against them:
--   * the payer's balance (set_balance), only if its version is still the
--     one read;
--   * each hold of p_holds, a JSON array of [reservation id, its version,
--     its seat's version] as read: PAID and its seat SOLD, only if both
--     versions are unchanged, the seat still held by the payer and both the
--     hold and the reservation still live (2 rows each);
--   * the payment (its first reservation named, as the answer does), which
--     reservations it paid, and the ledger row;
--   * any guard that changes fewer rows: rolled back, and SIGNAL 45000 /
--     1644 tells the caller it lost a race (it reads again, and answers
--     with what it finds: a lapsed hold, a paid one, a lower balance).
-- The transaction is left open: the caller stores its answer under the
-- request's Idempotency-Key, if any, and COMMITs (Db::call). Any error (a
-- duplicate key: this admission or a hold paid already) rolls back before
-- it is raised, with the unique key's name in its message.
DELIMITER //
CREATE OR REPLACE PROCEDURE pay_order(
    IN p_user CHAR(36) CHARACTER SET ascii COLLATE ascii_bin, IN p_user_version BIGINT UNSIGNED,
    IN p_balance BIGINT, IN p_holds TEXT CHARACTER SET ascii,
    IN p_payment CHAR(36) CHARACTER SET ascii COLLATE ascii_bin,
    IN p_admission VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin, IN p_total BIGINT, IN p_at DATETIME(3))
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  DECLARE v_count INT DEFAULT JSON_LENGTH(p_holds);
  DECLARE v_i INT DEFAULT 0;
  DECLARE v_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin;
  DECLARE v_first CHAR(36) CHARACTER SET ascii COLLATE ascii_bin;
  DECLARE v_version BIGINT UNSIGNED;
  DECLARE v_seat_version BIGINT UNSIGNED;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  START TRANSACTION;
  CALL set_balance(p_user, p_user_version, p_balance);
  WHILE v_i < v_count DO
    SET v_id = JSON_VALUE(p_holds, CONCAT('$[', v_i, '][0]'));
    SET v_version = JSON_VALUE(p_holds, CONCAT('$[', v_i, '][1]'));
    SET v_seat_version = JSON_VALUE(p_holds, CONCAT('$[', v_i, '][2]'));
    IF v_i = 0 THEN SET v_first = v_id; END IF;
    UPDATE reservations r JOIN seats s ON s.id = r.seat_id
       SET s.status = 'SOLD', s.hold_expires_at = NULL, s.version = s.version + 1,
           r.status = 'PAID', r.version = r.version + 1
     WHERE r.id = v_id AND r.version = v_version AND s.version = v_seat_version AND s.holder_id = p_user
       AND {{kHoldIsLive}} AND {{kReservationIsLive}};
    IF ROW_COUNT() <> 2 THEN
      SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'pay_order: a hold changed since the read';
    END IF;
    SET v_i = v_i + 1;
  END WHILE;
  INSERT INTO payments (id, reservation_id, user_id, admission, amount, paid_at)
  VALUES (p_payment, v_first, p_user, p_admission, p_total, p_at);
  SET v_i = 0;
  WHILE v_i < v_count DO
    INSERT INTO payment_reservations (payment_id, reservation_id)
    VALUES (p_payment, JSON_VALUE(p_holds, CONCAT('$[', v_i, '][0]')));
    SET v_i = v_i + 1;
  END WHILE;
  INSERT INTO balance_ledger (user_id, kind, amount, balance_after, payment_id, created_at)
  VALUES (p_user, 'PAYMENT', -p_total, p_balance, p_payment, p_at);
END //
DELIMITER ;
