-- DELETE /reservations/{id}'s write (store/holds.cpp cancel_hold()): the
-- caller read the reservation and its seat and decided with the rules;
-- this makes the reservation CANCELLED and gives its seat back, or neither:
-- one UPDATE over both rows, guarded by both versions, the hold still live
-- and the seat still this reservation's. Fewer than 2 rows: rolled back,
-- and SIGNAL 45000 / 1644 tells the caller a payment, a sweep or another
-- cancel got there first (it reads again and answers accordingly).
-- The transaction is left open for the caller's COMMIT (Db::call).
DELIMITER //
CREATE OR REPLACE PROCEDURE cancel_hold(
    IN p_reservation CHAR(36) CHARACTER SET ascii COLLATE ascii_bin, IN p_version BIGINT UNSIGNED,
    IN p_seat BIGINT UNSIGNED, IN p_seat_version BIGINT UNSIGNED)
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  START TRANSACTION;
  UPDATE reservations r JOIN seats s ON s.id = p_seat
     SET r.status = 'CANCELLED', r.version = r.version + 1, {{kReleaseSeat}}
   WHERE r.id = p_reservation AND r.version = p_version AND {{kReservationIsLive}}
     AND s.version = p_seat_version AND {{kSeatHeldByReservation}} AND {{kHoldIsLive}};
  IF ROW_COUNT() <> 2 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'cancel_hold: the hold changed since the read';
  END IF;
END //
DELIMITER ;
