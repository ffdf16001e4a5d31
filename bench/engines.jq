# Each route's own engine (bench/engine.cpp, its scenario name in the
# bench's lines), or null: used by bench/report.sh and bench/docs.sh.
def engine_of($route):
  if $route == "GET /queue/status" then "engine: Redis of GET /queue/status"
  elif $route == "POST /queue/token (fresh users)" then "engine: Redis of POST /queue/token"
  elif $route == "GET available-seats" then "engine: SQL of GET available-seats"
  elif ($route | test("^POST /(reservations|payments|users/\\{id\\}/charge)")) then "engine: SQL of " + $route
  else null end;
