package io.keymesh.proxy.command;

import static io.keymesh.proxy.command.KeySpec.NONE;
import static io.keymesh.proxy.command.KeySpec.keys;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.storage.merge.MergeRule;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;

class CommandTableTest {
    private static final CommandTable TABLE = Commands.standard();

    /** The name placed in the middle of a larger buffer, as it would sit in a RESP frame. */
    private static ByteBuf frame(String name) {
        return Unpooled.copiedBuffer("$" + name.length() + "\r\n" + name + "\r\n", StandardCharsets.US_ASCII);
    }

    private static int nameIndex(String name) {
        return ("$" + name.length() + "\r\n").length();
    }

    private static CommandSpec lookup(String name) {
        ByteBuf buf = frame(name);
        try {
            return TABLE.lookup(buf, nameIndex(name), name.length());
        } finally {
            buf.release();
        }
    }

    private static CommandSpec lookupSub(CommandSpec container, String sub) {
        ByteBuf buf = frame(sub);
        try {
            return TABLE.lookupSubcommand(container, buf, nameIndex(sub), sub.length());
        } finally {
            buf.release();
        }
    }

    @Test
    void lookupIsCaseInsensitive() {
        CommandSpec get = TABLE.get("GET");
        assertNotNull(get);
        assertSame(get, lookup("GET"));
        assertSame(get, lookup("get"));
        assertSame(get, lookup("gEt"));
        assertSame(TABLE.get("ZRANGEBYSCORE"), lookup("zRangeByScore"));
        assertSame(get, TABLE.get("get"));
    }

    @Test
    void everyRowIsFoundByItsWireName() {
        for (CommandSpec spec : TABLE.rows().values()) {
            String name = spec.name();
            int bar = name.indexOf('|');
            if (bar < 0) {
                assertSame(spec, lookup(name.toLowerCase(Locale.ROOT)), name);
            } else {
                CommandSpec container = lookup(name.substring(0, bar).toLowerCase(Locale.ROOT));
                assertNotNull(container, name);
                assertSame(spec, lookupSub(container, name.substring(bar + 1).toLowerCase(Locale.ROOT)), name);
            }
        }
    }

    @Test
    void subcommandLookup() {
        CommandSpec client = lookup("client");
        assertNotNull(client);
        assertEquals("CLIENT", client.name());
        CommandSpec list = lookupSub(client, "list");
        assertNotNull(list);
        assertEquals("CLIENT|LIST", list.name());
        assertTrue(list.isSubcommand());
        assertEquals("OBJECT|ENCODING", lookupSub(TABLE.get("OBJECT"), "Encoding").name());
        assertEquals("XINFO|STREAM", lookupSub(TABLE.get("XINFO"), "STREAM").name());
        assertEquals("CONFIG|SET", lookupSub(TABLE.get("CONFIG"), "set").name());
    }

    @Test
    void subcommandsAreNotConfusedWithCommands() {
        // "LIST" is only a subcommand (CLIENT LIST, COMMAND LIST, ACL LIST ...), never a command.
        assertNull(lookup("LIST"));
        assertNull(TABLE.get("LIST"));
        // "GET" is both a command and CONFIG's subcommand: each lookup finds its own row.
        assertEquals("GET", lookup("get").name());
        assertEquals("CONFIG|GET", lookupSub(TABLE.get("CONFIG"), "get").name());
        // A subcommand of one container is not one of another.
        assertNull(lookupSub(TABLE.get("CLIENT"), "get"));
        assertNull(lookupSub(TABLE.get("CONFIG"), "list"));
        // A command name is not a subcommand of anything.
        assertNull(lookupSub(TABLE.get("CLIENT"), "client"));
        assertNull(lookupSub(TABLE.get("GET"), "list"));
    }

    @Test
    void unknownNamesReturnNull() {
        assertNull(lookup("NOSUCHCOMMAND"));
        assertNull(lookup("GE"));
        assertNull(lookup("GETT"));
        assertNull(lookupSub(TABLE.get("CLIENT"), "nosuch"));
        assertNull(TABLE.get("nosuch"));
        ByteBuf empty = Unpooled.EMPTY_BUFFER;
        assertNull(TABLE.lookup(empty, 0, 0));
        String huge = "X".repeat(100);
        assertNull(lookup(huge));
    }

    @Test
    void everyWriteRowHasAMergeRuleAndOnlyWriteRows() {
        for (CommandSpec spec : TABLE.rows().values()) {
            if (spec.kind() == CommandClass.WRITE) {
                assertNotNull(spec.merge(), spec.name() + " is a write without a merge rule");
            } else {
                assertNull(spec.merge(), spec.name() + " is a " + spec.kind() + " with a merge rule");
            }
        }
    }

    @Test
    void everyRefusalIsAnErrText() {
        int refused = 0;
        for (CommandSpec spec : TABLE.rows().values()) {
            if (spec.handling() == Handling.REFUSE) {
                refused++;
                assertNotNull(spec.refusal(), spec.name());
                assertTrue(spec.refusal().startsWith("ERR "), spec.name() + ": " + spec.refusal());
                assertTrue(spec.refusal().contains("keymesh"), spec.name() + ": " + spec.refusal());
                assertTrue(spec.refusal().indexOf('\r') < 0 && spec.refusal().indexOf('\n') < 0, spec.name());
            } else {
                assertNull(spec.refusal(), spec.name());
            }
        }
        assertTrue(refused > 0);
    }

    @Test
    void routingDecisions() {
        expect("SHUTDOWN", CommandClass.ADMIN, Handling.REFUSE);
        expect("CLUSTER", CommandClass.ADMIN, Handling.REFUSE);
        expect("CLUSTER|NODES", CommandClass.ADMIN, Handling.REFUSE);
        expect("MODULE|LOAD", CommandClass.ADMIN, Handling.REFUSE);
        expect("CONFIG", CommandClass.ADMIN, Handling.FORWARD);
        expect("CONFIG|SET", CommandClass.ADMIN, Handling.FORWARD);
        expect("CONFIG|REWRITE", CommandClass.ADMIN, Handling.REFUSE);
        expect("CLIENT", CommandClass.CONNECTION, Handling.LOCAL);
        expect("CLIENT|LIST", CommandClass.CONNECTION, Handling.LOCAL);
        expect("CLIENT|TRACKING", CommandClass.CONNECTION, Handling.PIN);
        expect("CLIENT|PAUSE", CommandClass.CONNECTION, Handling.LOCAL);
        expect("MONITOR", CommandClass.ADMIN, Handling.LOCAL);
        expect("LATENCY|HISTOGRAM", CommandClass.ADMIN, Handling.LOCAL);   // keymesh's own histograms
        expect("MULTI", CommandClass.TRANSACTION, Handling.PIN);
        expect("WATCH", CommandClass.TRANSACTION, Handling.PIN);
        expect("EXEC", CommandClass.TRANSACTION, Handling.FORWARD);
        expect("SUBSCRIBE", CommandClass.PUBSUB, Handling.SUBSCRIBE);
        expect("SSUBSCRIBE", CommandClass.PUBSUB, Handling.SUBSCRIBE);
        expect("UNSUBSCRIBE", CommandClass.PUBSUB, Handling.SUBSCRIBE);
        expect("WAIT", CommandClass.BLOCKING, Handling.PIN);
        expect("EVAL", CommandClass.SCRIPTING, Handling.FORWARD);
        expect("SCRIPT|DEBUG", CommandClass.SCRIPTING, Handling.REFUSE);
        expect("READONLY", CommandClass.CONNECTION, Handling.FORWARD);
        expect("AUTH", CommandClass.CONNECTION, Handling.LOCAL);
        expect("INFO", CommandClass.ADMIN, Handling.LOCAL);
        expect("DBSIZE", CommandClass.READ, Handling.FORWARD);
        expect("XREAD", CommandClass.READ, Handling.FORWARD);
        expect("XREADGROUP", CommandClass.WRITE, Handling.FORWARD);
        for (String blocking : List.of("BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP")) {
            expect(blocking, CommandClass.WRITE, Handling.PIN);
        }
    }

    private static void expect(String name, CommandClass kind, Handling handling) {
        CommandSpec spec = TABLE.get(name);
        assertNotNull(spec, name);
        assertEquals(kind, spec.kind(), name);
        assertEquals(handling, spec.handling(), name);
    }

    @Test
    void mergeRules() {
        assertEquals(MergeRule.LWW_REGISTER, TABLE.get("SET").merge());
        assertEquals(MergeRule.COUNTER, TABLE.get("INCRBYFLOAT").merge());
        assertEquals(MergeRule.HASH_FIELD, TABLE.get("HSET").merge());
        assertEquals(MergeRule.SET_ELEMENT, TABLE.get("SADD").merge());
        assertEquals(MergeRule.SET_ELEMENT, TABLE.get("SMOVE").merge());
        assertEquals(MergeRule.HASH_FIELD_COUNTER, TABLE.get("HINCRBY").merge());
        assertEquals(MergeRule.ZSET_SCORE_COUNTER, TABLE.get("ZINCRBY").merge());
        assertEquals(MergeRule.LWW_REGISTER, TABLE.get("GEOADD").merge());
        assertEquals(MergeRule.LIST_OPS, TABLE.get("BLPOP").merge());
        assertEquals(MergeRule.LIST_OPS, TABLE.get("BLMOVE").merge());
        assertEquals(MergeRule.STREAM_OPS, TABLE.get("XGROUP|CREATE").merge());
        assertEquals(MergeRule.LWW_REGISTER, TABLE.get("PFMERGE").merge());
        assertEquals(MergeRule.KEY_DELETE, TABLE.get("UNLINK").merge());
        assertEquals(MergeRule.KEY_DELETE, TABLE.get("GETDEL").merge());
        assertEquals(MergeRule.EXPIRY, TABLE.get("PEXPIREAT").merge());
        assertEquals(MergeRule.EXPIRY, TABLE.get("GETEX").merge());
        assertEquals(MergeRule.DB_FLUSH, TABLE.get("FLUSHALL").merge());
        assertEquals(MergeRule.NOT_REPLICABLE, TABLE.get("SWAPDB").merge());
        assertEquals(MergeRule.NOT_REPLICABLE, TABLE.get("MIGRATE").merge());
        assertEquals(MergeRule.NOT_REPLICABLE, TABLE.get("RESTORE-ASKING").merge());
    }

    @Test
    void theWriteRowsAreExactlyTheCommandsWithAMergeRuleAndCarryItsRule() {
        java.util.Map<String, MergeRule> fromRows = new java.util.TreeMap<>();
        for (CommandSpec spec : TABLE.rows().values()) {
            if (spec.kind() == CommandClass.WRITE) {
                fromRows.put(spec.name(), spec.merge());
            }
        }
        assertEquals(new java.util.TreeMap<>(io.keymesh.storage.merge.WriteCommands.rules()), fromRows);
    }

    @Test
    void aritiesAndKeys() {
        CommandSpec set = TABLE.get("SET");
        assertEquals(-3, set.arity());
        assertTrue(set.arityAccepts(3));
        assertTrue(set.arityAccepts(6));
        assertFalse(set.arityAccepts(2));
        CommandSpec get = TABLE.get("GET");
        assertTrue(get.arityAccepts(2));
        assertFalse(get.arityAccepts(3));
        assertEquals(keys(1, -1, 2), TABLE.get("MSET").keys());
        assertTrue(TABLE.get("EVAL").keys().movable());
        assertTrue(TABLE.get("ZUNIONSTORE").keys().movable());
        assertEquals(NONE, TABLE.get("PING").keys());
        assertEquals(keys(2, 2, 1), TABLE.get("OBJECT|ENCODING").keys());
    }

    @Test
    void coversRedis70() {
        long commands = TABLE.rows().values().stream().filter(s -> !s.isSubcommand()).count();
        long subcommands = TABLE.rows().values().stream().filter(CommandSpec::isSubcommand).count();
        assertTrue(commands >= 230, "only " + commands + " commands");
        assertTrue(subcommands >= 100, "only " + subcommands + " subcommands");
    }

    @Test
    void builderRejectsDuplicates() {
        CommandTable.Builder builder = CommandTable.builder().add("GET", 2, keys(1, 1, 1), CommandClass.READ, Handling.FORWARD);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder.add("GET", 2, keys(1, 1, 1), CommandClass.READ, Handling.FORWARD));
        assertTrue(e.getMessage().contains("GET"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.write("GET", 2, keys(1, 1, 1)));
    }

    @Test
    void builderRejectsOrphanSubcommands() {
        CommandTable.Builder builder = CommandTable.builder()
                .add("CLIENT|LIST", -2, NONE, CommandClass.CONNECTION, Handling.LOCAL);
        IllegalStateException e = assertThrows(IllegalStateException.class, builder::build);
        assertTrue(e.getMessage().contains("CLIENT|LIST"), e.getMessage());
        CommandTable ok = CommandTable.builder()
                .add("CLIENT", -2, NONE, CommandClass.CONNECTION, Handling.LOCAL)
                .add("CLIENT|LIST", -2, NONE, CommandClass.CONNECTION, Handling.LOCAL)
                .build();
        assertEquals(2, ok.rows().size());
    }

    @Test
    void rowsRejectInconsistentFacts() {
        assertThrows(IllegalArgumentException.class,
                () -> new CommandSpec("SET", -3, keys(1, 1, 1), CommandClass.WRITE, Handling.FORWARD, null, null));
        assertThrows(IllegalArgumentException.class,
                () -> new CommandSpec("GET", 2, keys(1, 1, 1), CommandClass.READ, Handling.FORWARD, MergeRule.LWW_REGISTER, null));
        assertThrows(IllegalArgumentException.class,
                () -> new CommandSpec("get", 2, keys(1, 1, 1), CommandClass.READ, Handling.FORWARD, null, null));
        assertThrows(IllegalArgumentException.class,
                () -> new CommandSpec("DEBUG", -2, NONE, CommandClass.ADMIN, Handling.REFUSE, null, null));
    }
}
