-- The one balance write, for charge_balance and pay_order (inside their
-- transaction, first, so the payer's row is locked exclusively before
-- anything else touches it; never called on its own): the balance set to
-- p_balance only if its version is still the one read. A version that moved
-- (a concurrent charge or payment of this user): SIGNAL 45000 / 1644, which
-- the caller's handler rolls back and raises; the store reads again. The
-- ledger row is the caller's: a payment's names the payment, which a
-- foreign key wants inserted first, and inserting that before this UPDATE
-- would take a shared lock on the payer's row and deadlock with its other
-- writes.
DELIMITER //
CREATE OR REPLACE PROCEDURE set_balance(
    IN p_user CHAR(36) CHARACTER SET ascii COLLATE ascii_bin, IN p_version BIGINT UNSIGNED, IN p_balance BIGINT)
  MODIFIES SQL DATA SQL SECURITY INVOKER
BEGIN
  UPDATE users SET balance = p_balance, version = version + 1 WHERE id = p_user AND version = p_version;
  IF ROW_COUNT() <> 1 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'set_balance: the balance changed since the read';
  END IF;
END //
DELIMITER ;
