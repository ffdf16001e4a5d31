-- User secrets (contract v2, "Accounts"): sign-up returns a secret once;
-- only its SHA-256 is kept. The secret is 32 random bytes, so a plain hash
-- is enough (nothing to brute-force), and it identifies its user by this
-- unique index. Users from before this migration have none (NULL) until an
-- operator runs `concertctl user reset-secret --user ID`.
ALTER TABLE users ADD COLUMN secret_hash BINARY(32) NULL AFTER name;
CREATE UNIQUE INDEX users_secret_hash ON users (secret_hash);
