#include "base/config.hpp"

#include <map>
#include <string>

#include <CppUTest/TestHarness.h>

namespace {

struct FakeEnv {
    std::map<std::string, std::string> vars;
    concert::EnvLookup lookup() {
        return [this](const char* name) -> const char* {
            auto it = vars.find(name);
            return it == vars.end() ? nullptr : it->second.c_str();
        };
    }
};

}  // namespace

TEST_GROUP(Config) {
    FakeEnv env;
};

TEST(Config, DefaultsMatchTheLocalStack) {
    concert::Config c = concert::config_from_env(env.lookup());
    STRCMP_EQUAL("tcp://127.0.0.1:13306", c.db_url.c_str());
    LONGS_EQUAL(16379, c.redis_port);
    LONGS_EQUAL(2, c.workers);
    LONGS_EQUAL(0660, c.socket_mode);
}

TEST(Config, VariablesOverrideDefaults) {
    env.vars = {{"CONCERT_DB_URL", "unix:///tmp/x.sock"}, {"CONCERT_WORKERS", "8"},
                {"CONCERT_REDIS_SOCKET", "/tmp/r.sock"}, {"CONCERT_SOCKET_MODE", "0666"}};
    concert::Config c = concert::config_from_env(env.lookup());
    STRCMP_EQUAL("unix:///tmp/x.sock", c.db_url.c_str());
    LONGS_EQUAL(8, c.workers);
    STRCMP_EQUAL("/tmp/r.sock", c.redis_socket.c_str());
    LONGS_EQUAL(0666, c.socket_mode);
}

TEST(Config, EmptyVariableKeepsTheDefault) {
    env.vars = {{"CONCERT_WORKERS", ""}};
    LONGS_EQUAL(2, concert::config_from_env(env.lookup()).workers);
}

TEST(Config, BadNumberIsRefusedByName) {
    env.vars = {{"CONCERT_WORKERS", "lots"}};
    try {
        concert::config_from_env(env.lookup());
        FAIL("expected ConfigError");
    } catch (const concert::ConfigError& e) {
        STRCMP_CONTAINS("CONCERT_WORKERS", e.what());
    }
}

TEST(Config, OutOfRangeNumberIsRefused) {
    env.vars = {{"CONCERT_REDIS_PORT", "70000"}};
    CHECK_THROWS(concert::ConfigError, concert::config_from_env(env.lookup()));
}

TEST(Config, NodesAndSentinelsAreHostPortLists) {
    env.vars = {{"CONCERT_DB_NODES", "10.1.0.1:3306,db-2.internal:3307,[::1]:3308"},
                {"CONCERT_REDIS_SENTINELS", "10.1.0.5:26379"}, {"CONCERT_REDIS_MASTER", "sale"}};
    concert::Config c = concert::config_from_env(env.lookup());
    LONGS_EQUAL(3, c.db_nodes.size());
    STRCMP_EQUAL("10.1.0.1", c.db_nodes[0].host.c_str());
    LONGS_EQUAL(3306, c.db_nodes[0].port);
    STRCMP_EQUAL("db-2.internal", c.db_nodes[1].host.c_str());
    LONGS_EQUAL(3307, c.db_nodes[1].port);
    STRCMP_EQUAL("[::1]", c.db_nodes[2].host.c_str());
    LONGS_EQUAL(1, c.redis_sentinels.size());
    LONGS_EQUAL(26379, c.redis_sentinels[0].port);
    STRCMP_EQUAL("sale", c.redis_master.c_str());
    concert::Config plain = concert::config_from_env(FakeEnv{}.lookup());
    CHECK(plain.db_nodes.empty() && plain.redis_sentinels.empty());  // one address each, as before
}

TEST(Config, ABadNodeListIsRefusedByName) {
    for (const char* bad : {"h1", "h1:", ":3306", "h1:3306,", "h1:3306,,h2:3306", "h1:0", "h1:65536", "h1:33o6"}) {
        env.vars = {{"CONCERT_DB_NODES", bad}};
        try {
            concert::config_from_env(env.lookup());
            FAIL(bad);
        } catch (const concert::ConfigError& e) {
            STRCMP_CONTAINS("CONCERT_DB_NODES", e.what());
        }
    }
}
