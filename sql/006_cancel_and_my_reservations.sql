-- Cancelling a hold (DELETE /reservations/{id}) and a buyer's own list
-- (GET /users/{id}/reservations, newest first): a reservation may end
-- CANCELLED, and a user's reservations are read newest first from one index
-- (no scan of anyone else's rows). created_at gets microseconds: two holds
-- of one user in one millisecond must still list newest first (ids are
-- UUIDv7, ordered only to the millisecond).
ALTER TABLE reservations
  MODIFY status ENUM('TEMPORARILY_RESERVED', 'PAID', 'EXPIRED', 'CANCELLED') NOT NULL DEFAULT 'TEMPORARILY_RESERVED',
  MODIFY created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
CREATE INDEX reservations_user_newest ON reservations (user_id, created_at, id);
