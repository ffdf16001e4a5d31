-- POST /reservations' write in one round trip (store/holds.cpp hold_seat()).
-- Named place_hold, not hold_seat: sql/008 created a hold_seat that commits
-- inside, which pools of the previous release still call while an upgrade
-- rolls out; it stays until a later migration drops it (OPERATIONS.md).
-- the caller read the seat and the user (one SELECT) and decided with the
-- rules; this takes the seat.
--   * the seat and the user's version in one UPDATE, which changes 2 rows or
--     none (the seat's version and free state against everyone else, the
--     user's version against the user's own concurrent holds);
--   * none: rolled back, and SIGNAL 45000 / 1644 tells the caller it lost the
--     race (it reads again; 409 if the seat is taken);
--   * a lapsed hold's reservation retired, so a seat never has two live ones;
--   * the reservation.
-- Like every procedure here it starts the transaction and leaves it open for
-- the caller's COMMIT (Db::call); an error rolls back before it is raised.
DELIMITER //
CREATE OR REPLACE PROCEDURE place_hold(
    IN p_seat BIGINT UNSIGNED, IN p_seat_version BIGINT UNSIGNED,
    IN p_user CHAR(36) CHARACTER SET ascii COLLATE ascii_bin, IN p_user_version BIGINT UNSIGNED,
    IN p_expires DATETIME(3), IN p_retire_lapsed BOOLEAN,
    IN p_reservation CHAR(36) CHARACTER SET ascii COLLATE ascii_bin, IN p_price BIGINT)
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  START TRANSACTION;
  UPDATE users u JOIN seats s ON s.id = p_seat
     SET u.version = u.version + 1, s.status = 'HELD', s.holder_id = u.id, s.hold_expires_at = p_expires,
         s.version = s.version + 1
   WHERE u.id = p_user AND u.version = p_user_version AND s.version = p_seat_version AND {{kSeatIsFree}};
  IF ROW_COUNT() <> 2 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'place_hold: the seat or the user changed since the read';
  END IF;
  IF p_retire_lapsed THEN
    UPDATE reservations SET status = 'EXPIRED', version = version + 1
     WHERE seat_id = p_seat AND status = 'TEMPORARILY_RESERVED';
  END IF;
  INSERT INTO reservations (id, user_id, seat_id, price, status, expires_at)
  VALUES (p_reservation, p_user, p_seat, p_price, 'TEMPORARILY_RESERVED', p_expires);
END //
DELIMITER ;
