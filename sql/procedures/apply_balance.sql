-- The one balance write, for charge_balance and pay_order (inside their
-- transaction; never called on its own): the payer's balance set to
-- p_balance only if its version is still the one read, and its ledger row.
-- A version that moved (a concurrent charge or payment of this user):
-- SIGNAL 45000 / 1644, which the caller's handler rolls back and raises;
-- the store reads again.
DELIMITER //
CREATE OR REPLACE PROCEDURE apply_balance(
    IN p_user CHAR(36) CHARACTER SET ascii COLLATE ascii_bin, IN p_version BIGINT UNSIGNED,
    IN p_balance BIGINT, IN p_kind VARCHAR(16) CHARACTER SET ascii, IN p_amount BIGINT,
    IN p_payment CHAR(36) CHARACTER SET ascii COLLATE ascii_bin, IN p_at DATETIME(3))
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  UPDATE users SET balance = p_balance, version = version + 1 WHERE id = p_user AND version = p_version;
  IF ROW_COUNT() <> 1 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'apply_balance: the balance changed since the read';
  END IF;
  INSERT INTO balance_ledger (user_id, kind, amount, balance_after, payment_id, created_at)
  VALUES (p_user, p_kind, p_amount, p_balance, p_payment, p_at);
END //
DELIMITER ;
