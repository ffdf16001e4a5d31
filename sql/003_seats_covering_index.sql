-- available-seats reads a date's seats in seat order with their status,
-- hold expiry and price: all of them in this index, so the read touches two
-- index pages instead of one primary-key lookup per seat (102 pages for 50
-- seats before, measured with ANALYZE FORMAT=JSON in make bench's data).
CREATE INDEX seats_date_free_cover ON seats (concert_date_id, seat_number, status, hold_expires_at, price);
