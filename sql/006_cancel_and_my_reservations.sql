-- Cancelling a hold (DELETE /reservations/{id}) and a buyer's own list
-- (GET /users/{id}/reservations, newest first): a reservation may end
-- CANCELLED, and a user's reservations are read newest first from one index
-- (no scan of anyone else's rows).
ALTER TABLE reservations
  MODIFY status ENUM('TEMPORARILY_RESERVED', 'PAID', 'EXPIRED', 'CANCELLED') NOT NULL DEFAULT 'TEMPORARILY_RESERVED';
CREATE INDEX reservations_user_newest ON reservations (user_id, created_at, id);
