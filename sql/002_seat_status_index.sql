-- Finds a date's free seats (status FREE, or HELD with an expired hold)
-- without reading its sold ones.
CREATE INDEX seats_date_status ON seats (concert_date_id, status, hold_expires_at);
