-- POST /users/{id}/charge's write in one round trip instead of three:
-- store/money.cpp reads the balance and its version, computes the new
-- balance with the rules, then CALLs this instead of sending START
-- TRANSACTION, the guarded UPDATE and the ledger's INSERT one by one.
--   * the balance only if the version is still the one read; if not,
--     rolled back, and SIGNAL 45000 / 1644 tells the caller it lost the race
--     to a concurrent charge or payment of this user (it reads again);
--   * the ledger row in the same transaction.
-- The transaction is left OPEN: the caller stores its answer under the
-- request's Idempotency-Key, if it has one, and then COMMITs (or, on any
-- error, rolls back: Db::call). An error in here rolls back before it is
-- raised, so nothing half-written stays.
DELIMITER //
CREATE PROCEDURE charge_balance(
    IN p_user CHAR(36) CHARACTER SET ascii COLLATE ascii_bin, IN p_version BIGINT UNSIGNED,
    IN p_balance BIGINT, IN p_amount BIGINT, IN p_at DATETIME(3))
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  START TRANSACTION;
  UPDATE users SET balance = p_balance, version = version + 1 WHERE id = p_user AND version = p_version;
  IF ROW_COUNT() <> 1 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'charge_balance: the balance changed since the read';
  END IF;
  INSERT INTO balance_ledger (user_id, kind, amount, balance_after, created_at)
  VALUES (p_user, 'CHARGE', p_amount, p_balance, p_at);
END //
DELIMITER ;
