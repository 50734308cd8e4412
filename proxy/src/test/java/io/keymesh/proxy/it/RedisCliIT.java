package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.KeymeshFixture.CliResult;
import io.lettuce.core.api.sync.RedisCommands;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The real redis-cli against keymesh: single commands, INFO, RESP3, --pipe mass insertion, --scan. */
class RedisCliIT extends OneNodePerClass {
    private static CliResult ok(CliResult result) {
        assertEquals(0, result.exitCode(), "redis-cli failed: " + result.stdout() + result.stderr());
        return result;
    }

    @Test
    void setAndGetWithFormattedOutput() throws Exception {
        assertEquals("OK\n", ok(fx.redisCli("--no-raw", "SET", "cli:k", "hello world")).stdout());
        assertEquals("\"hello world\"\n", ok(fx.redisCli("--no-raw", "GET", "cli:k")).stdout());
        assertEquals("(nil)\n", ok(fx.redisCli("--no-raw", "GET", "cli:missing")).stdout());
        assertEquals("(integer) 1\n", ok(fx.redisCli("--no-raw", "INCR", "cli:n")).stdout());
        assertEquals("(error) ERR unknown command 'NOSUCH', with args beginning with: \n",
                fx.redisCli("--no-raw", "NOSUCH").stdout());
        assertEquals("hello world\n", ok(fx.redisCli("GET", "cli:k")).stdout(), "raw output when not a tty");
        assertEquals("PONG\n", ok(fx.redisCli("PING")).stdout());
    }

    @Test
    void databaseOptionSelectsTheDatabase() throws Exception {
        ok(fx.redisCli("-n", "4", "SET", "cli:db", "four"));
        assertEquals("four\n", ok(fx.redisCli("-n", "4", "GET", "cli:db")).stdout());
        assertEquals("\n", ok(fx.redisCli("GET", "cli:db")).stdout(), "db 0 does not have it");
    }

    @Test
    void infoShowsRedisAndKeymeshSections() throws Exception {
        String info = ok(fx.redisCli("INFO")).stdout();
        assertTrue(info.contains("# Server") && info.contains("redis_version:7.") && info.contains("# Keymesh"), info);
        String keymesh = ok(fx.redisCli("INFO", "keymesh")).stdout();
        assertTrue(keymesh.startsWith("# Keymesh"), keymesh);
    }

    @Test
    void resp3ModeWorks() throws Exception {
        ok(fx.redisCli("HSET", "cli:h", "f", "v"));
        String map = ok(fx.redisCli("-3", "--no-raw", "HGETALL", "cli:h")).stdout();
        assertEquals("1# \"f\" => \"v\"\n", map);
    }

    @Test
    void pipeModeMassInsertionReportsEveryReply() throws Exception {
        StringBuilder input = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            input.append(new String(RespSocket.encode("SET", "mass:" + i, "v" + i), StandardCharsets.UTF_8));
        }
        input.append(new String(RespSocket.encode("INCRBY", "mass:count", "2000"), StandardCharsets.UTF_8));
        CliResult result = ok(fx.redisCliWithInput(input.toString().getBytes(StandardCharsets.UTF_8), "--pipe"));
        assertTrue(result.stdout().contains("errors: 0, replies: 2001"), result.stdout() + result.stderr());
        RedisCommands<String, String> r = fx.connect().sync();
        assertEquals(2001, r.dbsize());
        assertEquals("v1999", r.get("mass:1999"));
        assertEquals("2000", r.get("mass:count"));
    }

    @Test
    void scanModeListsMatchingKeys() throws Exception {
        RedisCommands<String, String> r = fx.connect().sync();
        for (int i = 0; i < 300; i++) {
            r.set("scan:" + i, "x");
        }
        r.set("other", "y");
        String out = ok(fx.redisCli("--scan", "--pattern", "scan:*")).stdout();
        Set<String> keys = new HashSet<>(out.lines().toList());
        assertEquals(300, keys.size(), out);
        assertTrue(keys.contains("scan:299") && !keys.contains("other"));
    }

    @Test
    void commandsReadFromStandardInputRunInOrder() throws Exception {
        String commands = "SET stdin:a 1\nINCR stdin:a\nGET stdin:a\nECHO done\n";
        CliResult result = ok(fx.redisCliWithInput(commands.getBytes(StandardCharsets.UTF_8)));
        assertEquals("OK\n2\n2\ndone\n", result.stdout());
    }
}
