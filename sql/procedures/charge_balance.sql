-- POST /users/{id}/charge's write in one round trip (store/money.cpp
-- charge_balance()): the caller read the balance and its version and
-- computed the new balance with the rules; this writes it (set_balance)
-- with its ledger row, or SIGNALs 45000 / 1644 after rolling back when a
-- concurrent charge or payment of the user moved the version (the caller
-- reads again). The transaction is left open: the caller stores its answer
-- under the request's Idempotency-Key, if any, and COMMITs (Db::call).
DELIMITER //
CREATE OR REPLACE PROCEDURE charge_balance(
    IN p_user CHAR(36) CHARACTER SET ascii COLLATE ascii_bin, IN p_version BIGINT UNSIGNED,
    IN p_balance BIGINT, IN p_amount BIGINT, IN p_at DATETIME(3))
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  START TRANSACTION;
  CALL set_balance(p_user, p_version, p_balance);
  INSERT INTO balance_ledger (user_id, kind, amount, balance_after, created_at)
  VALUES (p_user, 'CHARGE', p_amount, p_balance, p_at);
END //
DELIMITER ;
