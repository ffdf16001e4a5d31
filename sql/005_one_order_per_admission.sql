-- One order per admission, enforced where the money is: a payment records
-- the admission (queue token) it was made with, "<concert>:<ticket>:<issued at>", and
-- a user's admission can pay one order only. The Redis claim in front gives
-- the fast 409; this key holds even when Redis lost the claim or the end of
-- the ticket (a failover, a timeout between COMMIT and expiry). Payments
-- from before this migration have none (NULL, which a unique key allows
-- any number of).
ALTER TABLE payments ADD COLUMN admission VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL AFTER user_id;
CREATE UNIQUE INDEX payments_one_per_admission ON payments (user_id, admission);
