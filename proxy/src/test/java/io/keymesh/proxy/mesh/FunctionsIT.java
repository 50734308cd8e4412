package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

/**
 * Function libraries through primaries with peers: a library loaded, deleted or flushed on one node
 * is callable (or gone) on every node and on replicas, FUNCTION LIST shows it there, and the writes a
 * function makes replicate like a client's.
 */
class FunctionsIT extends MeshTest {
    static final String COUNTER = "#!lua name=counter\n"
            + "redis.register_function('bump', function(keys, args) return redis.call('HINCRBY', keys[1], 'n', args[1]) end)\n"
            + "redis.register_function{function_name='peek', callback=function(keys) return redis.call('HGET', keys[1], 'n') end,"
            + " flags={'no-writes'}}\n";

    @Test
    void aLibraryLoadedOnOneNodeRunsEverywhereAndItsIncrementsAllCount() {
        mesh = MeshFixture.builder().nodes(2).replicas(1).start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        MeshNode replica = mesh.replica(0);
        assertEquals("counter", a.sync().functionLoad(COUNTER));
        assertEquals(2L, (Long) a.sync().fcall("bump", ScriptOutputType.INTEGER, new String[] {"h"}, "2"));
        Await.until(CONVERGE, "B runs the library A loaded", () -> fcallOrError(b, "bump", "h", "0").equals("2"),
                () -> fcallOrError(b, "bump", "h", "0"));
        mesh.cut(a, b);
        for (int i = 0; i < 5; i++) {
            a.sync().fcall("bump", ScriptOutputType.INTEGER, new String[] {"h"}, "1");
            b.sync().fcall("bump", ScriptOutputType.INTEGER, new String[] {"h"}, "10");
        }
        mesh.heal(a, b);
        mesh.awaitConverged(CONVERGE);
        for (MeshNode n : mesh.runningNodes()) {
            assertEquals("57", n.sync().hget("h", "n"), n.name());
        }
        Await.until(CONVERGE, "the replica runs the library's read-only function",
                () -> "57".equals(fcallOrError(replica, "peek", "h", null)), () -> fcallOrError(replica, "peek", "h", null));
        for (MeshNode n : List.of(b, replica)) {
            Await.until(CONVERGE, n.name() + " lists the library natively", () -> libraries(n).contains("counter"),
                    () -> n.name() + " lists " + libraries(n));
        }
        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class,
                () -> replica.sync().fcall("bump", ScriptOutputType.INTEGER, new String[] {"h"}, "1"));
        assertTrue(e.getMessage().startsWith("ERR Can not execute a script with write flag using *_ro command."),
                "a replica runs functions read-only: " + e.getMessage());
    }

    @Test
    void deleteAndFlushOnOneNodeRemoveLibrariesEverywhere() {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().functionLoad(COUNTER);
        a.sync().functionLoad("#!lua name=other\nredis.register_function('hello', function() return 'hi' end)\n");
        Await.until(CONVERGE, "B runs both libraries", () -> fcallOrError(b, "hello", null, null).equals("hi")
                && fcallOrError(b, "peek", "h", null).equals("null"), () -> fcallOrError(b, "hello", null, null));
        Await.until(CONVERGE, "B's redis-server lists both (the housekeeping loads what peers recorded)",
                () -> userLibraries(b).equals(Set.of("counter", "other")), () -> "B lists " + libraries(b));
        assertEquals("OK", RawCommand.call(b.connection(), "FUNCTION", "DELETE", "counter"));
        assertEquals(Set.of("other"), userLibraries(b), "B's own redis-server no longer has it");
        Await.until(CONVERGE, "A no longer has the library B deleted",
                () -> fcallOrError(a, "peek", "h", null).equals("ERR Function not found"), () -> fcallOrError(a, "peek", "h", null));
        Await.until(CONVERGE, "A's redis-server deletes it too", () -> userLibraries(a).equals(Set.of("other")),
                () -> "A lists " + libraries(a));
        assertEquals("OK", a.sync().functionFlush(io.lettuce.core.FlushMode.SYNC));
        assertEquals(Set.of(), userLibraries(a));
        assertEquals("ERR Function not found", fcallOrError(a, "hello", null, null));
        Await.until(CONVERGE, "B's libraries are flushed too", () -> userLibraries(b).isEmpty()
                && fcallOrError(b, "hello", null, null).equals("ERR Function not found"), () -> "B lists " + libraries(b));
    }

    @Test
    void loadChecksTheLibraryAsRedisDoes() {
        mesh = MeshFixture.start(2);
        RedisCommands<String, String> a = mesh.node(0).sync();
        a.functionLoad(COUNTER);
        Map<String, String> refusals = Map.of(
                COUNTER, "ERR Library 'counter' already exists",
                "#!lua name=dup\nredis.register_function('bump', function() return 1 end)\n", "ERR Function bump already exists",
                "#!lua name=bad\nsyntax error\n", "ERR Error compiling function: user_function:2:",
                "#!lua\nredis.register_function('x', function() return 1 end)\n", "ERR Library name was not given",
                "#!lua name=empty\nlocal x = 1\n", "ERR No functions registered",
                "redis.register_function('x', function() return 1 end)\n", "ERR Missing library metadata");
        for (Map.Entry<String, String> r : refusals.entrySet()) {
            RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class, () -> a.functionLoad(r.getKey()));
            assertTrue(e.getMessage().startsWith(r.getValue()), r.getValue() + " expected, got " + e.getMessage());
        }
        assertEquals("counter", a.functionLoad(COUNTER, true), "REPLACE replaces");
        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class, () -> RawCommand.call(mesh.node(0).connection(), "FUNCTION", "DELETE", "nope"));
        assertEquals("ERR Library not found", e.getMessage());
        e = assertThrows(RedisCommandExecutionException.class,
                () -> a.fcallReadOnly("bump", ScriptOutputType.INTEGER, new String[] {"h"}, "1"));
        assertEquals("ERR Can not execute a script with write flag using *_ro command.", e.getMessage());
        assertEquals(Set.of("counter"), userLibraries(mesh.node(0)));
    }

    @Test
    void aNodeThatResyncsBySnapshotGetsTheLibrariesItsLogNoLongerHolds() {
        mesh = MeshFixture.builder().nodes(2).setting("keymesh.replication.log-retention-bytes", "1m").start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        mesh.cut(a, b);
        assertEquals("counter", a.sync().functionLoad(COUNTER));
        String value = "x".repeat(1000);
        for (int i = 0; i < 2000; i++) {
            a.sync().set("after:" + i, value);       // 2 MB: A's log drops the FUNCTION LOAD (retention 1 MB)
        }
        RedisCommands<String, String> backendA = a.connectBackend().sync();
        backendA.select(2 * MeshFixture.DATABASES);
        Await.until(CONVERGE, "A's log no longer holds the FUNCTION LOAD",
                () -> !backendA.xrange("km:log:" + a.nodeId(), io.lettuce.core.Range.create("-", "+"),
                        io.lettuce.core.Limit.from(1)).get(0).getId().equals("1-0"), () -> "not trimmed yet");
        mesh.heal(a, b);
        mesh.awaitConverged(CONVERGE);
        assertTrue(ReplicationInfo.of(b).snapshotResyncs() > 0, "B got a snapshot:\n" + ReplicationInfo.of(b).text());
        assertEquals("2", fcallOrError(b, "bump", "h", "2"), "B runs the library the snapshot carried");
        Await.until(CONVERGE, "B's redis-server lists it", () -> userLibraries(b).equals(Set.of("counter")),
                () -> "B lists " + libraries(b));
    }

    @Test
    void aLibraryRestoredFromAPlainRedisDumpRunsOnEveryNode() throws Exception {
        byte[] dump = dumpFromPlainRedis(COUNTER);
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        assertEquals("OK", a.sync().functionRestore(dump));
        assertEquals(Set.of("counter"), userLibraries(a));
        Await.until(CONVERGE, "B runs the restored library", () -> fcallOrError(b, "bump", "h", "3").equals("3"),
                () -> fcallOrError(b, "peek", "h", null));
        Await.until(CONVERGE, "B's redis-server lists it", () -> userLibraries(b).equals(Set.of("counter")),
                () -> "B lists " + libraries(b));
        RedisCommandExecutionException e = assertThrows(RedisCommandExecutionException.class,
                () -> a.sync().functionRestore(dump, io.lettuce.core.FunctionRestoreMode.REPLACE));
        assertTrue(e.getMessage().contains("keymesh"), "REPLACE could replace keymesh's own library: " + e.getMessage());
    }

    /** FUNCTION DUMP of {@code code} loaded into a plain redis-server of the test's own. */
    private static byte[] dumpFromPlainRedis(String code) throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("keymesh-plain-redis");
        java.nio.file.Path socket = dir.resolve("redis.sock");
        Process redis = new ProcessBuilder("redis-server", "--port", "0", "--unixsocket", socket.toString(),
                "--save", "", "--appendonly", "no", "--dir", dir.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile()).start();
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(
                io.lettuce.core.RedisURI.Builder.socket(socket.toString()).build());
        try {
            Await.until(MeshNode.TIMEOUT, "the plain redis-server listens", () -> java.nio.file.Files.exists(socket), () -> "no socket");
            try (io.lettuce.core.api.StatefulRedisConnection<String, String> c = client.connect()) {
                c.sync().functionLoad(code);
                return c.sync().functionDump();
            }
        } finally {
            client.shutdown();
            redis.destroy();
            redis.waitFor();
        }
    }

    /** The function's reply as text ("null" for nil), or the error's message. */
    private static String fcallOrError(MeshNode node, String function, String key, String arg) {
        List<String> args = new java.util.ArrayList<>(List.of(function, key == null ? "0" : "1"));
        if (key != null) {
            args.add(key);
        }
        if (arg != null) {
            args.add(arg);
        }
        try {
            return String.valueOf(RawCommand.call(node.connection(), "FCALL", args.toArray(new String[0])));
        } catch (RedisCommandExecutionException e) {
            return e.getMessage();
        }
    }

    /** The libraries FUNCTION LIST shows on the node, keymesh's own included. */
    private static Set<String> libraries(MeshNode node) {
        Set<String> names = new TreeSet<>();
        for (Object library : (List<?>) RawCommand.call(node.connection(), "FUNCTION", "LIST")) {
            List<?> fields = (List<?>) library;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if ("library_name".equals(fields.get(i))) {
                    names.add(String.valueOf(fields.get(i + 1)));
                }
            }
        }
        return names;
    }

    private static Set<String> userLibraries(MeshNode node) {
        Set<String> names = libraries(node);
        names.remove("keymesh");
        return names;
    }
}
