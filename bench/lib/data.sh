# Preparing the bench's data: users, concerts, tokens and holds in bulk, and
# the files of it the scenarios read ($data). Sourced by bench/run.sh and
# bench/metrics.sh after bench/lib/stack.sh; the stack must be up.

# room_settings: rooms that admit everyone and holds that outlast the run,
# so that no scenario meets a queue or an expiry it does not measure.
room_settings() {
  ctl settings set queue.capacity 1000000
  ctl settings set queue.active_seconds 86400
  ctl settings set queue.idle_seconds 86400
  ctl settings set hold.seconds 86400
  ctl settings set hold.max_per_user 1000
}
first_date=$(date -u -d '+1 day' +%F)
export BENCH_FIRST_DATE=$first_date

# add_users NAME VARIANT COUNT BALANCE: COUNT users named NAME, ids
# 00000000-0000-7000-VARIANT-<n>, with BALANCE (and the ledger row that
# explains it). Each one's secret is made from its id ("us_", the id's 32
# hex digits, 11 × "A": 43 base64url characters), so the clients
# (bench/load.cpp, bench/lua/common.lua) know it without a file.
add_users() {
  sql -e "
    INSERT INTO users (id, name, balance, secret_hash)
      SELECT u.id, '$1', $4, UNHEX(SHA2(CONCAT('us_', REPLACE(u.id, '-', ''), 'AAAAAAAAAAA'), 256))
      FROM (SELECT CONCAT('00000000-0000-7000-$2-', LPAD(LOWER(HEX(seq)), 12, '0')) AS id FROM seq_1_to_$3) u;
    INSERT INTO balance_ledger (user_id, kind, amount, balance_after)
      SELECT id, 'CHARGE', balance, balance FROM users WHERE name = '$1' AND balance > 0;"
  sql -e "SELECT id FROM users WHERE name = '$1' ORDER BY id"
}

# add_concert NAME DATES SEATS -> id; dates from tomorrow on, in bulk.
add_concert() {
  sql -e "INSERT INTO concerts (name) VALUES ('$1');
    SET @c = LAST_INSERT_ID();
    INSERT INTO concert_dates (concert_id, play_date, total_seats)
      SELECT @c, '$first_date' + INTERVAL (seq - 1) DAY, $3 FROM seq_1_to_$2;
    INSERT INTO seats (concert_date_id, seat_number, price)
      SELECT d.id, s.seq, 50000 FROM concert_dates d JOIN seq_1_to_$3 s WHERE d.concert_id = @c;
    SELECT @c;"
}

# tokens USERS OUT CONCERT: a token of CONCERT's room for each user of USERS.
tokens() { build/bench/load tokens "$url" "$data/$1" "$data/$2" 16 "$3"; }

# slice FILE K COUNT OUT: lines K*COUNT+1 .. (K+1)*COUNT of FILE.
slice() { sed -n "$(($2 * $3 + 1)),$((($2 + 1) * $3))p" "$data/$1" >"$data/$4"; }

# load_data: everything the scenarios of a run read, sized by bench/run.sh
# (per_run, pay_lines, fresh_lines, hold_dates, journey_days); sets the
# concerts' ids small, holdc, payc, racec and journeyc.
load_data() {
  room_settings
  # Users with money (the main users and the racers), payers (one prepared
  # hold each), and fresh users that have never asked for a token.
  log "$((7000 + pay_lines + fresh_lines)) users"
  add_users bench 8000 7000 1000000000 >"$data/users.txt"
  add_users payer a000 "$pay_lines" 1000000000 >"$data/payers.txt"
  add_users fresh 9000 "$fresh_lines" 0 >"$data/fresh_users.txt"

  log "concerts"
  small=$(add_concert bench-small 2000 50)                     # 100,000 seats: reads
  holdc=$(add_concert bench-holds "$hold_dates" 50)             # one run's holds, given back after each
  payc=$(add_concert bench-pay $(((pay_lines + 49) / 50)) 50)  # holds prepared for payments
  racec=$(add_concert bench-race 1 50)                         # the opening-day race
  journeyc=$(add_concert bench-journey $((runs * journey_days)) 50)

  head -n 5000 "$data/users.txt" >"$data/u_main.txt"
  sed -n '5001,7000p' "$data/users.txt" >"$data/u_race.txt"
  # Tokens are of one concert's room each: the main users wait in the small
  # concert's room and in bench-holds', the payers in bench-pay's, the racers
  # in bench-race's.
  tokens u_main.txt tokens.txt "$small"
  tokens u_main.txt holdtokens.txt "$holdc"
  tokens u_race.txt racetokens.txt "$racec"
  log "$pay_lines tokens for payers"
  tokens payers.txt paytokens.txt "$payc"
  prepare_holds
  for k in "${!conns[@]}"; do
    slice pay.txt "$k" "$per_run" "pay.c${conns[$k]}.txt"
    slice fresh_users.txt "$k" "$per_run" "fresh.c${conns[$k]}.txt"
  done
  if [ "$engine" = 1 ]; then
    slice pay.txt "$runs" "$per_run" pay.engine.txt
    sed -n "$((runs * per_run + 1)),$(((runs + 2) * per_run))p" "$data/fresh_users.txt" >"$data/fresh.engine.txt"
  fi
  if [ "$selftest" = 1 ]; then tail -n "$selftest_holds" "$data/pay.txt" >"$data/pay.selftest.txt"; fi
}

# prepare_holds: the holds to pay, one per payer on a seat of its own, made
# as POST /reservations makes them (seat HELD and its version bumped, the
# holder's version bumped, a TEMPORARILY_RESERVED reservation ending with
# the hold) but in bulk: through HTTP they would take minutes. Writes
# pay.txt, "token reservationId" per payer; each run pays its own slice.
prepare_holds() {
  log "$pay_lines holds to pay"
  sql -e "
    CREATE TEMPORARY TABLE plan (seat_id BIGINT UNSIGNED PRIMARY KEY, user_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin,
      price BIGINT, rid CHAR(36) CHARACTER SET ascii COLLATE ascii_bin)
      SELECT s.id AS seat_id, u.id AS user_id, s.price, UUID() AS rid
      FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM users WHERE name = 'payer') u
      JOIN (SELECT s.id, s.price, ROW_NUMBER() OVER (ORDER BY s.id) AS n FROM seats s
            JOIN concert_dates d ON d.id = s.concert_date_id WHERE d.concert_id = $payc) s ON s.n = u.n;
    SET @until = NOW(3) + INTERVAL 86400 SECOND;
    UPDATE seats s JOIN plan p ON p.seat_id = s.id
      SET s.status = 'HELD', s.holder_id = p.user_id, s.hold_expires_at = @until, s.version = s.version + 1;
    UPDATE users u JOIN plan p ON p.user_id = u.id SET u.version = u.version + 1;
    INSERT INTO reservations (id, user_id, seat_id, price, status, expires_at)
      SELECT rid, user_id, seat_id, price, 'TEMPORARILY_RESERVED', @until FROM plan;
    SELECT user_id, rid FROM plan ORDER BY user_id;" >"$data/holds.txt"
  awk 'NR == FNR { token[$1] = $2; next } { print token[$1], $2 }' "$data/paytokens.txt" "$data/holds.txt" >"$data/pay.txt"
  [ "$(wc -l <"$data/pay.txt")" -eq "$pay_lines" ] || { log "prepared $(wc -l <"$data/pay.txt") holds to pay, not $pay_lines"; exit 1; }
}

# give_back CONCERT: every live hold of CONCERT cancelled, its seat FREE, as
# DELETE /reservations/{id} does, in bulk.
give_back() {
  sql -e "
    UPDATE concert_dates d JOIN seats s ON s.concert_date_id = d.id
      JOIN reservations r ON r.seat_id = s.id AND r.user_id = s.holder_id AND r.expires_at = s.hold_expires_at
    SET r.status = 'CANCELLED', r.version = r.version + 1,
      s.status = 'FREE', s.holder_id = NULL, s.hold_expires_at = NULL, s.version = s.version + 1
    WHERE d.concert_id = $1 AND s.status = 'HELD' AND r.status = 'TEMPORARILY_RESERVED'"
}

# load_big: the scale run's data, a million seats and a room of a million
# tickets; sets big. The room's fill and pacing figures go to LATEST.jsonl.
load_big() {
  log "loading 1,000,000 seats (20,000 dates) and a room of 1,000,000 waiting tickets"
  # At least a million seats, and at least one run's share for the holds.
  big=$(add_concert bench-big $((hold_dates > 20000 ? hold_dates : 20000)) 50)
  # A room of a million: a concert of its own whose room admits the default
  # 100; 1,000,100 tickets issued through the code POST /queue/token runs
  # (bench/room.cpp: the same script, every key a ticket has), so 100 are
  # ACTIVE and 1,000,000 wait. Redis's memory is read before and after.
  # Tokens for 5,000 of the waiting, spread over the line, are what the
  # status scenario polls. (Idle and ACTIVE time are the bench's day: nobody
  # lapses while it is measured.)
  local million fill idle
  million=$(add_concert bench-million 1 50)
  ctl settings set queue.capacity 100 --concert "$million"
  fill=$(CONCERT_TOKEN_SECRET=$(cat "$state/token-secret") build/bench/room fill "$million" 1000100 4 5000 "$data/milliontokens.txt")
  echo "$fill" | jq -c '{scenario: "a room of a million: fill", kind: "million"} + .' >>"$results/LATEST.jsonl"
  log "room now: $(concertctl queue stats --concert "$million"); $(jq -r '"\(.bytes_per_ticket) bytes of Redis memory per ticket, filled in \(.seconds) s"' <<<"$fill")"
  # The poll rate server pacing implies (v3: a tenth of the wait, at most
  # queue.max_poll_seconds 1200) for rooms of a million and of ten million
  # calling 10 places a second (the issue's arithmetic: N/1200 +
  # 10·r·ln(12,000·r)).
  for n in 1000000 10000000; do
    build/bench/room pacing "$n" 100 10 1200 |
      jq -c '{scenario: "a room of a million: pacing", kind: "million"} + .' >>"$results/LATEST.jsonl"
  done
  # The big concert's seats are read and held with tokens of its own room.
  tokens u_main.txt bigtokens.txt "$big"
  settle
}
