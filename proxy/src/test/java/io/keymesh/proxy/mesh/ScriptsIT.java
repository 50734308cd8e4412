package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.sync.RedisCommands;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/**
 * Scripts that write, through primaries with peers: every write a script makes reaches every node,
 * merged by the same rules as a client's writes, and a script's writes arrive as one unit.
 */
class ScriptsIT extends MeshTest {
    /** A compare-and-delete lock release, as lock libraries send it. */
    static final String RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

    @Test
    void incrementsMadeByScriptsOnBothSidesOfAPartitionAllCount() {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        String script = "redis.call('HINCRBY', KEYS[1], 'hits', ARGV[1]) return redis.call('INCRBY', KEYS[2], ARGV[1])";
        a.sync().eval(script, ScriptOutputType.INTEGER, new String[] {"h", "c"}, "1");
        mesh.awaitConverged(CONVERGE);
        mesh.cut(a, b);
        for (int i = 0; i < 10; i++) {
            a.sync().eval(script, ScriptOutputType.INTEGER, new String[] {"h", "c"}, "2");
            b.sync().eval(script, ScriptOutputType.INTEGER, new String[] {"h", "c"}, "3");
        }
        mesh.heal(a, b);
        for (MeshNode n : mesh.nodes()) {
            Await.value(CONVERGE, n, "c", "51");
        }
        mesh.awaitConverged(CONVERGE);
        for (MeshNode n : mesh.nodes()) {
            assertEquals("51", n.sync().hget("h", "hits"), n.name());
        }
    }

    @Test
    void aLockReleasedWithCompareAndDeleteOnOneNodeIsReleasedOnTheOther() {
        mesh = MeshFixture.start(2);
        RedisCommands<String, String> a = mesh.node(0).sync();
        RedisCommands<String, String> b = mesh.node(1).sync();
        String sha = a.scriptLoad(RELEASE);
        assertEquals("OK", a.set("lock", "token-1", SetArgs.Builder.nx().px(60_000)));
        Await.value(CONVERGE, mesh.node(1), "lock", "token-1");
        assertEquals(null, b.set("lock", "token-2", SetArgs.Builder.nx().px(60_000)), "held: B cannot take it");

        assertEquals(0L, (Long) a.evalsha(sha, ScriptOutputType.INTEGER, new String[] {"lock"}, "token-2"),
                "a wrong token releases nothing");
        assertEquals(1L, (Long) a.evalsha(sha, ScriptOutputType.INTEGER, new String[] {"lock"}, "token-1"));
        Await.until(CONVERGE, "the release reaches B", () -> b.get("lock") == null, () -> "B has " + b.get("lock"));
        assertEquals("OK", b.set("lock", "token-2", SetArgs.Builder.nx().px(60_000)), "B can take the lock now");
        mesh.awaitConverged(CONVERGE);
    }

    @Test
    void aScriptsWritesReachTheOtherNodeTogether() throws Exception {
        mesh = MeshFixture.start(2);
        MeshNode nodeA = mesh.node(0);
        MeshNode nodeB = mesh.node(1);
        RedisCommands<String, String> a = nodeA.sync();
        RedisCommands<String, String> b = nodeB.connect().sync();
        String script = "redis.call('SET', KEYS[1], ARGV[1]) redis.call('SET', 'undeclared', ARGV[1]) "
                + "redis.call('HSET', 'h', 'f', ARGV[1]) redis.call('INCR', 'n') return redis.call('SET', KEYS[2], ARGV[1])";
        a.set("x", "0");
        Await.value(CONVERGE, nodeB, "x", "0");
        // a backlog of scripts, so that B pulls them in many batches
        mesh.cut(nodeA, nodeB);
        int scripts = 3000;
        for (int i = 1; i <= scripts; i++) {
            a.eval(script, ScriptOutputType.STATUS, new String[] {"x", "y"}, Integer.toString(i));
        }
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> torn = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            while (!done.get() && torn.get() == null) {
                List<KeyValue<String, String>> seen = b.mget("x", "undeclared", "y");
                String first = seen.get(0).getValueOrElse(null);
                for (KeyValue<String, String> kv : seen) {
                    if (!java.util.Objects.equals(first, kv.getValueOrElse(null)) && !"0".equals(first)) {
                        torn.set(seen.toString());
                    }
                }
            }
        });
        reader.start();
        try {
            mesh.heal(nodeA, nodeB);
            Await.value(CONVERGE, nodeB, "y", Integer.toString(scripts));
        } finally {
            done.set(true);
            reader.join();
        }
        assertEquals(null, torn.get(), "B never shows part of a script's writes");
        assertEquals(Integer.toString(scripts), b.get("undeclared"), "a key the script did not declare is replicated too");
        assertEquals(Integer.toString(scripts), b.get("n"));
        mesh.awaitConverged(CONVERGE);
    }

    @Test
    void scriptsAreCachedPerNodeAsInRedis() {
        mesh = MeshFixture.start(2);
        RedisCommands<String, String> a = mesh.node(0).sync();
        RedisCommands<String, String> b = mesh.node(1).sync();
        String sha = a.scriptLoad("return redis.call('SET', KEYS[1], ARGV[1])");
        assertEquals(List.of(true, false), a.scriptExists(sha, "0000000000000000000000000000000000000000"));
        assertThrows(RedisNoScriptException.class,
                () -> b.evalsha(sha, ScriptOutputType.STATUS, new String[] {"k"}, "v"),
                "EVALSHA of a script B never saw answers NOSCRIPT, so clients send EVAL");
        assertEquals("OK", b.eval("return redis.call('SET', KEYS[1], ARGV[1])", ScriptOutputType.STATUS, new String[] {"k"}, "v"));
        assertEquals(List.of(true), b.scriptExists(sha), "EVAL caches the script, as in Redis");
        assertEquals("OK", b.evalsha(sha, ScriptOutputType.STATUS, new String[] {"k"}, "w"));
        assertEquals("OK", a.scriptFlush());
        assertEquals(List.of(false), a.scriptExists(sha));
        Await.value(CONVERGE, mesh.node(0), "k", "w");
    }

    @Test
    void scriptErrorsAreRedisErrorsAndChangeNothingAfterThem() {
        mesh = MeshFixture.start(2);
        RedisCommands<String, String> a = mesh.node(0).sync();
        a.set("text", "abc");
        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class,
                () -> a.eval("redis.call('INCR', KEYS[1]) return redis.call('SET', 'after', '1')", ScriptOutputType.STATUS, "text"));
        assertTrue(e.getMessage().startsWith("ERR value is not an integer or out of range"), e.getMessage());
        e = assertThrows(RedisCommandExecutionException.class,
                () -> a.eval("return redis.call('SELECT', 20)", ScriptOutputType.STATUS));
        assertTrue(e.getMessage().startsWith("ERR DB index is out of range"), "metadata databases stay out of reach: " + e.getMessage());
        e = assertThrows(RedisCommandExecutionException.class, () -> a.eval("return +", ScriptOutputType.STATUS));
        assertTrue(e.getMessage().startsWith("ERR Error compiling script"), e.getMessage());
        e = assertThrows(RedisCommandExecutionException.class,
                () -> a.evalReadOnly("return redis.call('SET', KEYS[1], 'x')".getBytes(), ScriptOutputType.STATUS, new String[] {"k"}));
        assertTrue(e.getMessage().startsWith("ERR Write commands are not allowed from read-only scripts."), e.getMessage());
        assertFalse(a.exists("after") == 1L, "nothing after the failed call ran");
        assertEquals(1L, (Long) a.eval("redis.call('SELECT', 1) redis.call('SET', 'in-db1', 'v') return 1", ScriptOutputType.INTEGER));
        RedisCommands<String, String> b1 = mesh.node(1).connect().sync();
        b1.select(1);
        Await.until(CONVERGE, "a write in db 1 made by a script reaches B's db 1", () -> "v".equals(b1.get("in-db1")),
                () -> "B db1 has " + b1.get("in-db1"));
        mesh.awaitConverged(CONVERGE);
    }

    @Test
    void aPublishInAScriptReachesSubscribersOnEveryNodeAndReplicaOnce() {
        mesh = MeshFixture.builder().nodes(2).replicas(1).start();
        MeshNode a = mesh.node(0);
        a.sync().set("lock", "t1");
        mesh.awaitConverged(CONVERGE);
        List<List<String>> seen = new java.util.ArrayList<>();
        for (MeshNode n : mesh.nodes()) {
            List<String> messages = new CopyOnWriteArrayList<>();
            seen.add(messages);
            StatefulRedisPubSubConnection<String, String> sub = n.connectPubSub();
            sub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    messages.add(message);
                }
            });
            sub.async().subscribe("unlocked");
            Await.until(CONVERGE, "a subscriber on " + n.name(), () -> n.sync().pubsubNumsub("unlocked").get("unlocked") == 1,
                    () -> "none");
        }
        String script = "redis.call('DEL', KEYS[1]) return redis.call('PUBLISH', ARGV[1], ARGV[2])";
        assertEquals(1L, (Long) a.sync().eval(script, ScriptOutputType.INTEGER, new String[] {"lock"}, "unlocked", "m1"),
                "PUBLISH answers the receivers on this node, as in Redis");
        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class,
                () -> a.sync().evalReadOnly("return redis.call('PUBLISH', 'unlocked', 'ro')".getBytes(), ScriptOutputType.INTEGER,
                        new String[0]));
        assertTrue(e.getMessage().startsWith("ERR Write commands are not allowed from read-only scripts."), e.getMessage());
        a.sync().set("lock", "t2");
        mesh.awaitConverged(CONVERGE);
        a.sync().eval(script, ScriptOutputType.INTEGER, new String[] {"lock"}, "unlocked", "m2");
        for (int i = 0; i < seen.size(); i++) {
            List<String> messages = seen.get(i);
            Await.until(CONVERGE, "both messages on " + mesh.nodes().get(i).name(), () -> messages.size() >= 2, messages::toString);
            assertEquals(List.of("m1", "m2"), messages, "once each on " + mesh.nodes().get(i).name());
            assertEquals(0L, mesh.nodes().get(i).sync().exists("lock"), "the script's DEL came with its PUBLISH");
        }
    }
}
