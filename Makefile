# Concert reservation service — one Makefile for everything.
#
#   make          build every handler into bin/ and bin/concertctl
#   make run      install what is missing, build, serve http://127.0.0.1:8080
#   make cluster  the same on a cluster in network namespaces, http://127.0.0.1:8480
#   make test-cluster  cross-host races and faults under load on such a cluster (CI runs it)
#   make test     install what is missing, build, run every suite (docs/TESTING.md)
#   make check    unit tests, the layering and one-rule checks: seconds, no servers
#   make itest    the test stack and the integration tests (ONLY=Group, Group.* or Group.Name)
#   make bench    every route against the ceiling; writes bench/results/LATEST.{md,png},
#                 exits non-zero if a scenario FAILs (make bench-selftest: the bench's own test)
#   make bench-metrics  what the pools' metrics counters cost: off/on rounds, var/bench-metrics/
#   make bench-cluster  the same scenarios on one stack and on the cluster, side by side:
#                 bench/results/CLUSTER.md
#   make crowd    CROWD (1,000,000) clients through a room's opening, in real time, over
#                 HTTP: bench/results/CROWD.{md,png,jsonl}; exits non-zero on a FAIL
#   make fuzz     the libFuzzer targets for FUZZ_SECONDS (300) each
#   make soak     the mixed load for SOAK_SECONDS (600), memory at start and end
#   make install  install for production (PREFIX, SYSCONFDIR, DESTDIR)
#   make reset    wipe var/ (the local stack's data)
#   make clean    remove build outputs
#
# Quiet by default; V=1 shows the commands.

CXX      ?= g++
CXXSTD   := -std=c++17
WARN     := -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-qual -Werror
CPPFLAGS += -MMD -MP -Ishared -Ibuild/gen
CXXFLAGS ?= -O2 -g
LIBS     := -lfcgi -lmysqlcppconn -lhiredis -lcjson -lcrypto
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

ifeq ($(V),1)
Q :=
else
Q := @
endif

SHARED_SRC   := $(wildcard shared/*/*.cpp)
CTL_SRC      := $(filter-out tools/concertctl/main.cpp,$(wildcard tools/concertctl/*.cpp))
HANDLER_SRC  := $(wildcard handlers/*.cpp)
UNIT_SRC     := $(wildcard tests/unit/*.cpp)
INTEG_SRC    := $(wildcard tests/integration/*.cpp)
ROOM_SRC     := $(wildcard tests/room/*.cpp)

HANDLERS     := $(patsubst handlers/%.cpp,bin/%,$(HANDLER_SRC))

# The waiting rooms' Lua (shared/store/lua/*.lua), built into the store as
# text: build/gen/store/lua/NAME.inc is one C++ raw string literal.
ROOM_LUA     := $(wildcard shared/store/lua/*.lua)
ROOM_LUA_INC := $(patsubst shared/store/lua/%.lua,build/gen/store/lua/%.inc,$(ROOM_LUA))
REL          := build/release
ASAN         := build/asan

REL_SHARED_OBJ  := $(patsubst %.cpp,$(REL)/%.o,$(SHARED_SRC))
ASAN_SHARED_OBJ := $(patsubst %.cpp,$(ASAN)/%.o,$(SHARED_SRC))
ASAN_CTL_OBJ    := $(patsubst %.cpp,$(ASAN)/%.o,$(CTL_SRC))
UNIT_OBJ        := $(patsubst %.cpp,$(ASAN)/%.o,$(UNIT_SRC))
INTEG_OBJ       := $(patsubst %.cpp,$(REL)/%.o,$(INTEG_SRC))
ROOM_OBJ        := $(patsubst %.cpp,$(ASAN)/%.o,$(ROOM_SRC))

UNIT_BIN  := build/unit_tests
INTEG_BIN := build/integration_tests
ROOM_BIN  := build/room_tests
TEST_TOOLS := build/socket_holder build/fault_load

build/gen/store/lua/%.inc: shared/store/lua/%.lua
	@mkdir -p $(dir $@)
	$(Q){ printf 'R"lua('; cat $<; printf ')lua"\n'; } > $@

$(REL)/shared/store/queue.o $(ASAN)/shared/store/queue.o build/fuzz/obj/shared/store/queue.o: $(ROOM_LUA_INC)

.PHONY: all deps run cluster test check itest test-cluster bench bench-selftest crowd bench-metrics bench-cluster bench-build fuzz soak unit reset clean install uninstall
all: $(HANDLERS) bin/concertctl bin/concert-keeper

# --- objects: one pattern rule per kind of output ---------------------------
$(REL)/%.o: %.cpp
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CXX     $<")
	$(Q)$(CXX) $(CXXSTD) $(WARN) $(CXXFLAGS) $(CPPFLAGS) -c $< -o $@

$(ASAN)/%.o: %.cpp
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CXX san $<")
	$(Q)$(CXX) $(CXXSTD) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) -DCPPUTEST_MEM_LEAK_DETECTION_DISABLED -c $< -o $@

$(REL)/libconcert.a: $(REL_SHARED_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(ASAN)/libconcert.a: $(ASAN_SHARED_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

# What only concertctl uses (check, sweep, concert add): never in a handler.
$(ASAN)/libconcertctl.a: $(ASAN_CTL_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

# --- binaries ---------------------------------------------------------------
bin/%: $(REL)/handlers/%.o $(REL)/libconcert.a
	@mkdir -p bin
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ $(LIBS)

bin/concertctl: $(patsubst %.cpp,$(REL)/%.o,$(wildcard tools/concertctl/*.cpp)) $(REL)/libconcert.a
	@mkdir -p bin
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ $(LIBS)

# The keeper: keeps every room moving (tools/keeper/).
bin/concert-keeper: $(REL)/tools/keeper/main.o $(REL)/libconcert.a
	@mkdir -p bin
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ $(LIBS)

# The unit tests also cover concertctl's pure parts (tools/concertctl/) and
# the bench engine's (bench/engine_stats.hpp).
# And the crowd simulator's pure parts (bench/crowd/: answers, the draw, verdicts).
$(UNIT_OBJ): CPPFLAGS += -Itools -Ibench
CROWD_UNIT_OBJ := $(patsubst %.cpp,$(ASAN)/%.o,bench/crowd/http.cpp bench/crowd/judge.cpp bench/crowd/population.cpp bench/crowd/stats.cpp)
$(CROWD_UNIT_OBJ): CPPFLAGS += -Ibench

$(UNIT_BIN): $(UNIT_OBJ) $(CROWD_UNIT_OBJ) $(ASAN)/libconcertctl.a $(ASAN)/libconcert.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CXX) $(SAN) -o $@ $^ $(LIBS) -lCppUTest -lCppUTestExt

$(INTEG_OBJ): CPPFLAGS += -DCPPUTEST_MEM_LEAK_DETECTION_DISABLED

# The room's rules against a redis-server of their own (tests/room/).
$(ROOM_BIN): $(ROOM_OBJ) $(ASAN)/libconcert.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CXX) $(SAN) -o $@ $^ $(LIBS) -lCppUTest -lCppUTestExt

$(INTEG_BIN): $(INTEG_OBJ) $(REL)/libconcert.a
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ $(LIBS) -lcurl -lCppUTest -lCppUTestExt

# libFuzzer targets (clang): fuzz/<name>_fuzz.cpp -> build/fuzz/<name>_fuzz, over
# shared/ built again with clang and the fuzzer's instrumentation.
FUZZ_FLAGS   := -std=c++17 -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_TARGETS := $(patsubst fuzz/%.cpp,build/fuzz/%,$(wildcard fuzz/*_fuzz.cpp))
FUZZ_OBJ     := $(patsubst %.cpp,build/fuzz/obj/%.o,$(SHARED_SRC))

build/fuzz/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CLANG   $<")
	$(Q)clang++ $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(CPPFLAGS) -c $< -o $@

build/fuzz/libconcert.a: $(FUZZ_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

build/fuzz/%_fuzz: build/fuzz/obj/fuzz/%_fuzz.o build/fuzz/libconcert.a
	$(Q)clang++ $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

BENCH_BINS := build/bench/ping build/bench/load build/bench/room build/bench/engine

# ping: our runtime's ceiling; room: a room of a million; engine: each
# route's engine with no HTTP (the routes' own store functions). All link
# libconcert.a.
build/bench/ping build/bench/room build/bench/engine: build/bench/%: $(REL)/bench/%.o $(REL)/libconcert.a
	@mkdir -p $(dir $@)
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ $(LIBS)

# The load clients of the bench and of the fault tests share tools/common/.
$(REL)/bench/load.o $(REL)/tests/tools/fault_load.o: CPPFLAGS += -Itools/common

# The crowd simulator (make crowd): its own directory, linking libconcert.a
# for the bulk issue and the tokens.
CROWD_OBJ := $(patsubst %.cpp,$(REL)/%.o,$(wildcard bench/crowd/*.cpp))
$(CROWD_OBJ): CPPFLAGS += -Ibench

build/bench/crowd: $(CROWD_OBJ) $(REL)/libconcert.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ $(LIBS) -lpthread

build/bench/load: $(REL)/bench/load.o
	@mkdir -p $(dir $@)
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ -lcurl -lcjson -lpthread

build/%: $(REL)/tests/tools/%.o
	$(Q)$(CXX) $(CXXFLAGS) -o $@ $^ -lcurl -lcjson -lpthread

# Swagger UI for /docs and uPlot for the dashboard, from npm, pinned by
# web/package-lock.json.
WEB_ASSETS := web/node_modules/.package-lock.json

$(WEB_ASSETS): web/package.json web/package-lock.json
	@$(if $(Q),echo "  NPM     web/ (swagger-ui-dist, uplot)")
	$(Q)cd web && npm ci --no-audit --no-fund --loglevel=error
	$(Q)touch $@

# --- workflows ----------------------------------------------------------------
deps:
	$(Q)scripts/install-deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all $(WEB_ASSETS)
	$(Q)scripts/stack.sh run

# Three Galera nodes, Redis with a replica and three Sentinels, two app hosts
# and a load balancer, each host in a network namespace of its own (root);
# CLUSTER_ARGS are scripts/cluster.sh's options, e.g. --front-port 8481.
cluster: deps
	$(Q)$(MAKE) --no-print-directory all $(WEB_ASSETS)
	$(Q)scripts/cluster.sh run $(CLUSTER_ARGS)

# Cross-host races and faults under load on a cluster of its own (about 2
# minutes; root). CI runs it after `make test`.
test-cluster: deps
	$(Q)$(MAKE) --no-print-directory all $(WEB_ASSETS) build/fault_load
	$(Q)tests/cluster/run.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all $(WEB_ASSETS) $(UNIT_BIN) $(ROOM_BIN) $(INTEG_BIN) $(TEST_TOOLS) $(FUZZ_TARGETS) $(CROWD_BINS)
	$(Q)tests/run.sh

# The fast checks alone: unit tests (ASan, UBSan), tests/layers.sh and
# tests/one_rule.sh. Nothing is installed and no server starts.
check: $(UNIT_BIN)
	$(Q)tests/run.sh check

# The integration tests alone, on the stack make test starts: all of them,
# or ONLY=Money (a group; Money.* the same) or ONLY=Money.SomeTest.
itest: deps
	$(Q)$(MAKE) --no-print-directory all $(WEB_ASSETS) $(INTEG_BIN)
	$(Q)ONLY='$(ONLY)' tests/run.sh itest

# Installs wrk and gnuplot if missing; BENCH_SECONDS per scenario (default 5).
bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)bench/run.sh

# What bench/ab.sh builds in each of its worktrees.
bench-build: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)

# The crowd simulator (bench/crowd.sh, docs/BENCH.md): CROWD clients (1,000,000)
# through a room's opening and CROWD_SECONDS (600) after it.
CROWD_BINS := build/bench/crowd build/bench/room build/bench/ping

crowd: deps
	$(Q)$(MAKE) --no-print-directory all $(CROWD_BINS)
	$(Q)bench/crowd.sh

# One stack next to the cluster, same scenarios, same data, one run.
bench-cluster: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)bench/cluster.sh

# The bench's own test, short: it provokes unexpected statuses and data run
# dry and must report them as FAIL, so it always fails (bench/run.sh exits 1
# when they all FAILed, 2 if the bench let one pass; make then exits 2).
# The report goes to var/bench-selftest/.
bench-selftest: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)BENCH_SELFTEST=1 BENCH_SECONDS=$${BENCH_SECONDS:-2} BENCH_BIG=0 BENCH_CURVE=0 bench/run.sh

# One experiment, not part of `make bench`: ping and queue status on stacks
# started without and with the pools' metrics counters, BENCH_METRICS_ROUNDS
# (3) interleaved off/on pairs; writes var/bench-metrics/METRICS.md.
bench-metrics: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)bench/metrics.sh

# The mixed load for SOAK_SECONDS (default 600) on a stack of its own.
soak: deps
	$(Q)$(MAKE) --no-print-directory all $(TEST_TOOLS)
	$(Q)tests/faults/soak.sh

# Every fuzz target for FUZZ_SECONDS (default 300) each.
fuzz: deps
	$(Q)$(MAKE) --no-print-directory $(FUZZ_TARGETS)
	$(Q)FUZZ_SECONDS=$${FUZZ_SECONDS:-300} fuzz/run.sh

unit: $(UNIT_BIN)
	$(Q)$(UNIT_BIN)

# PREFIX (/usr/local), SYSCONFDIR (/etc) and DESTDIR as usual.
install: all $(WEB_ASSETS)
	$(Q)scripts/install.sh install

uninstall:
	$(Q)scripts/install.sh uninstall

reset:
	rm -rf var

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
