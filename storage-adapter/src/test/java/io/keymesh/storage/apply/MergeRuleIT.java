package io.keymesh.storage.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.storage.merge.MergeRule;
import io.keymesh.storage.merge.WriteCommands;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every write command's merge rule on both sides: each command of {@link WriteCommands} runs once
 * through km_w in a real redis-server with the library loaded, and the log entry it leaves must
 * carry the ops of its rule (a counter total for COUNTER, a field op for HASH_FIELD, a whole-key
 * state for LWW_REGISTER ...), no entry for NODE_LOCAL, or its error when the rule refuses it; a
 * peer that applies the writer's log with km_r ends with the writer's data. A
 * sample step marked "!" runs natively, as the proxy runs the commands a script may not (BZPOPMIN).
 */
class MergeRuleIT {
    @TempDir
    static Path tmp;
    static Node node;
    static Node peer;

    /** Per write command: the writes that set it up, then the command itself, each "NAME arg arg ...". */
    private static final Map<String, String[]> SAMPLES = new LinkedHashMap<>();

    private static void sample(String name, String... commands) {
        SAMPLES.put(name, commands);
    }

    static {
        sample("APPEND", "APPEND a x");
        sample("BITFIELD", "BITFIELD a SET u8 0 200");
        sample("BITOP", "SET a x", "SET b y", "BITOP AND d a b");
        sample("BZMPOP", "ZADD z 1 m 2 n", "BZMPOP 0 1 z MIN");
        // not allowed in a script: the proxy runs it natively, then records the key with KM.TOUCH
        sample("BZPOPMAX", "ZADD z 1 m 2 n", "!BZPOPMAX z 0", "KM.TOUCH z");
        sample("BZPOPMIN", "ZADD z 1 m 2 n", "!BZPOPMIN z 0", "KM.TOUCH z");
        sample("COPY", "SET a x", "COPY a b");
        sample("GEOADD", "GEOADD g 13.36 38.11 palermo");
        sample("GEORADIUS", "GEOADD g 13.36 38.11 palermo", "GEORADIUS g 13.3 38.1 200 km STORE d");
        sample("GEORADIUSBYMEMBER", "GEOADD g 13.36 38.11 palermo", "GEORADIUSBYMEMBER g palermo 100 km STORE d");
        sample("GEOSEARCHSTORE", "GEOADD g 13.36 38.11 palermo", "GEOSEARCHSTORE d g FROMMEMBER palermo BYRADIUS 100 km");
        sample("GETSET", "GETSET a x");
        sample("LINSERT", "RPUSH l a", "LINSERT l BEFORE a b");
        sample("LSET", "RPUSH l a", "LSET l 0 b");
        sample("MOVE", "SET a x", "MOVE a 1");
        sample("MSET", "MSET a x b y");
        sample("MSETNX", "MSETNX a x b y");
        sample("PFADD", "PFADD h a b");
        sample("PFMERGE", "PFADD h1 a", "PFMERGE h2 h1");
        sample("PSETEX", "PSETEX a 100000 x");
        sample("RENAME", "SET a x", "RENAME a b");
        sample("RENAMENX", "SET a x", "RENAMENX a b");
        sample("RESTORE", "RESTORE a 0 <dump>");
        sample("SDIFFSTORE", "SADD s1 a b", "SADD s2 b", "SDIFFSTORE d s1 s2");
        sample("SET", "SET a x EX 100");
        sample("SETBIT", "SETBIT a 7 1");
        sample("SETEX", "SETEX a 100 x");
        sample("SETNX", "SETNX a x");
        sample("SETRANGE", "SETRANGE a 0 x");
        sample("SINTERSTORE", "SADD s1 a b", "SADD s2 b", "SINTERSTORE d s1 s2");
        sample("SORT", "RPUSH l 3 1 2", "SORT l STORE d");
        sample("SPOP", "SADD s a b c", "SPOP s");
        sample("SUNIONSTORE", "SADD s1 a b", "SADD s2 c", "SUNIONSTORE d s1 s2");
        sample("ZDIFFSTORE", "ZADD z1 1 a 2 b", "ZADD z2 1 b", "ZDIFFSTORE d 2 z1 z2");
        sample("ZINTERSTORE", "ZADD z1 1 a 2 b", "ZADD z2 1 b", "ZINTERSTORE d 2 z1 z2");
        sample("ZMPOP", "ZADD z 1 m 2 n", "ZMPOP 1 z MIN");
        sample("ZPOPMAX", "ZADD z 1 m 2 n", "ZPOPMAX z");
        sample("ZPOPMIN", "ZADD z 1 m 2 n", "ZPOPMIN z");
        sample("ZRANGESTORE", "ZADD z 1 m 2 n", "ZRANGESTORE d z 0 -1");
        sample("ZREMRANGEBYLEX", "ZADD z 0 a 0 b 0 c", "ZREMRANGEBYLEX z [a [a");
        sample("ZREMRANGEBYRANK", "ZADD z 1 m 2 n", "ZREMRANGEBYRANK z 0 0");
        sample("ZREMRANGEBYSCORE", "ZADD z 1 m 2 n", "ZREMRANGEBYSCORE z 1 1");
        sample("ZUNIONSTORE", "ZADD z1 1 a", "ZADD z2 1 b", "ZUNIONSTORE d 2 z1 z2");
        sample("DECR", "DECR c");
        sample("DECRBY", "DECRBY c 2");
        sample("INCR", "INCR c");
        sample("INCRBY", "INCRBY c 2");
        sample("INCRBYFLOAT", "INCRBYFLOAT c 1.5");
        sample("HDEL", "HSET h f v g w", "HDEL h f");
        sample("HMSET", "HMSET h f v");
        sample("HSET", "HSET h f v");
        sample("HSETNX", "HSETNX h f v");
        sample("HINCRBY", "HINCRBY h f 2");
        sample("HINCRBYFLOAT", "HINCRBYFLOAT h f 1.5");
        sample("SADD", "SADD s a");
        sample("SMOVE", "SADD s1 a b", "SMOVE s1 s2 a");
        sample("SREM", "SADD s a b", "SREM s a");
        sample("ZADD", "ZADD z 1 a");
        sample("ZREM", "ZADD z 1 a 2 b", "ZREM z a");
        sample("ZINCRBY", "ZINCRBY z 2 a");
        sample("BLMOVE", "RPUSH l1 a b", "BLMOVE l1 l2 LEFT RIGHT 0");
        sample("BLMPOP", "RPUSH l a b", "BLMPOP 0 1 l LEFT");
        sample("BLPOP", "RPUSH l a b", "BLPOP l 0");
        sample("BRPOP", "RPUSH l a b", "BRPOP l 0");
        sample("BRPOPLPUSH", "RPUSH l1 a b", "BRPOPLPUSH l1 l2 0");
        sample("LMOVE", "RPUSH l1 a b", "LMOVE l1 l2 LEFT RIGHT");
        sample("LMPOP", "RPUSH l a b", "LMPOP 1 l LEFT");
        sample("LPOP", "RPUSH l a b", "LPOP l");
        sample("LPUSH", "LPUSH l a");
        sample("LPUSHX", "RPUSH l a", "LPUSHX l b");
        sample("LREM", "RPUSH l a b a", "LREM l 1 a");
        sample("LTRIM", "RPUSH l a b c", "LTRIM l 0 1");
        sample("RPOP", "RPUSH l a b", "RPOP l");
        sample("RPOPLPUSH", "RPUSH l1 a b", "RPOPLPUSH l1 l2");
        sample("RPUSH", "RPUSH l a");
        sample("RPUSHX", "RPUSH l a", "RPUSHX l b");
        String group = "XGROUP CREATE x g 0";
        String delivered = "XREADGROUP GROUP g c STREAMS x >";
        sample("XACK", "XADD x 1-1 f v", group, delivered, "XACK x g 1-1");
        sample("XADD", "XADD x * f v");
        sample("XAUTOCLAIM", "XADD x 1-1 f v", group, delivered, "XAUTOCLAIM x g c2 0 0");
        sample("XCLAIM", "XADD x 1-1 f v", group, delivered, "XCLAIM x g c2 0 1-1");
        sample("XDEL", "XADD x 1-1 f v", "XADD x 2-1 f v", "XDEL x 1-1");
        sample("XGROUP", "XADD x 1-1 f v", "XGROUP CREATE x g2 0");
        sample("XGROUP|CREATE", "XADD x 1-1 f v", "XGROUP CREATE x g 0");
        sample("XGROUP|CREATECONSUMER", "XADD x 1-1 f v", group, "XGROUP CREATECONSUMER x g c");
        sample("XGROUP|DELCONSUMER", "XADD x 1-1 f v", group, delivered, "XGROUP DELCONSUMER x g c");
        sample("XGROUP|DESTROY", "XADD x 1-1 f v", group, "XGROUP DESTROY x g");
        // past every entry, over none that no consumer read (merge.md, "Known gaps": such entries)
        sample("XGROUP|SETID", "XADD x 1-1 f v", group, delivered, "XGROUP SETID x g 5-0");
        sample("XREADGROUP", "XADD x 1-1 f v", group, delivered);
        sample("XSETID", "XADD x 1-1 f v", "XSETID x 5-0");
        sample("XTRIM", "XADD x 1-1 f v", "XADD x 2-1 f v", "XTRIM x MAXLEN 1");
        sample("DEL", "SET a x", "DEL a");
        sample("GETDEL", "SET a x", "GETDEL a");
        sample("UNLINK", "SET a x", "UNLINK a");
        sample("EXPIRE", "SET a x", "EXPIRE a 100");
        sample("EXPIREAT", "SET a x", "EXPIREAT a 99999999999");
        sample("GETEX", "SET a x", "GETEX a EX 100");
        sample("PERSIST", "SET a x EX 100", "PERSIST a");
        sample("PEXPIRE", "SET a x", "PEXPIRE a 100000");
        sample("PEXPIREAT", "SET a x", "PEXPIREAT a 99999999999999");
        sample("FLUSHALL", "SET a x", "FLUSHALL");
        sample("FLUSHDB", "SET a x", "FLUSHDB");
        sample("MIGRATE", "SET a x", "MIGRATE 127.0.0.1 1 a 0 1000");
        sample("RESTORE-ASKING", "RESTORE-ASKING a 0 <dump>");
        sample("SWAPDB", "SET a x", "SWAPDB 0 1");
    }

    /** Log ops that a rule's entries may not carry, beside the ones they must (LWW_REGISTER: no member op). */
    private static final Set<String> MEMBER_OPS = Set.of("h", "a", "z", "g", "j", "i", "H", "T", "X");

    @BeforeAll
    static void start() {
        node = new Node(tmp.resolve("n"), "aaaaaaaa");
        peer = new Node(tmp.resolve("p"), "bbbbbbbb");
    }

    @AfterAll
    static void stop() {
        for (Node n : new Node[] {node, peer}) {
            if (n != null) {
                n.close();
            }
        }
    }

    @Test
    void everyWriteCommandHasASample() {
        assertEquals(new TreeSet<>(WriteCommands.rules().keySet()), new TreeSet<>(SAMPLES.keySet()));
    }

    @Test
    void everyWriteCommandLogsTheOpsOfItsMergeRule() {
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, MergeRule> row : WriteCommands.rules().entrySet()) {
            String[] commands = SAMPLES.get(row.getKey());
            if (commands == null) {
                continue;   // everyWriteCommandHasASample names it
            }
            String problem = check(row.getKey(), row.getValue(), commands);
            if (problem != null) {
                wrong.add(row.getKey() + " (" + row.getValue() + "): " + problem);
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    }

    @Test
    void getexWithoutAnOptionOrOfAMissingKeyAndGetdelOfAMissingKeyLogNothing() {
        node.conn.callParsed("FLUSHALL");
        node.w("SET", "a", "x");
        int before = node.log(node.origin).size();
        assertEquals("x", RawConnection.parse(node.w("GETEX", "a")));
        assertEquals(null, RawConnection.parse(node.w("GETEX", "missing", "EX", "100")));
        assertEquals(null, RawConnection.parse(node.w("GETDEL", "missing")));
        assertEquals(before, node.log(node.origin).size());
        assertEquals(-1L, node.conn.callParsed("TTL", "a"));
    }

    /** Runs the sample on an empty node; returns what is wrong with the entries the command logged, or null. */
    @SuppressWarnings("unchecked")
    private static String check(String name, MergeRule rule, String[] commands) {
        node.conn.callParsed("FLUSHALL");
        for (int i = 0; i < commands.length - 1; i++) {
            Object r = commands[i].startsWith("!")
                    ? node.conn.callParsed(args(commands[i].substring(1)))
                    : RawConnection.parse(node.w(args(commands[i])));
            if (r instanceof RawConnection.Err err) {
                return "setup " + commands[i] + " failed: " + err.message();
            }
        }
        int before = node.log(node.origin).size();
        Object reply = RawConnection.parse(node.w(args(commands[commands.length - 1])));
        List<List<Object>> entries = node.log(node.origin);
        List<String> ops = new ArrayList<>();
        for (List<Object> entry : entries.subList(before, entries.size())) {
            List<Object> fields = (List<Object>) entry.get(1);
            for (int i = 0; i < fields.size(); i += 2) {
                ops.add((String) fields.get(i));
            }
        }
        if (rule == MergeRule.NOT_REPLICABLE) {
            String expected = WriteCommands.refusal(name);
            if (!(reply instanceof RawConnection.Err err) || !err.message().equals(expected)) {
                return "replied " + reply + ", not -" + expected;
            }
            return ops.isEmpty() ? null : "refused but logged " + ops;
        }
        if (reply instanceof RawConnection.Err err) {
            return "failed: " + err.message();
        }
        if (rule == MergeRule.NODE_LOCAL) {
            return ops.isEmpty() ? null : "node-local but logged " + ops;
        }
        if (ops.isEmpty()) {
            return "logged nothing";
        }
        boolean ok = switch (rule) {
            case LWW_REGISTER -> (ops.contains("s") || ops.contains("r")) && noneOf(ops, MEMBER_OPS);
            case COUNTER -> ops.contains("i") && noneOf(ops, Set.of("s", "r", "h", "z", "j"));
            case HASH_FIELD -> (ops.contains("h") || ops.contains("g")) && noneOf(ops, Set.of("s", "r", "j", "a", "z"));
            case HASH_FIELD_COUNTER -> ops.contains("h") && ops.contains("j") && noneOf(ops, Set.of("s", "r", "z"));
            case SET_ELEMENT -> (ops.contains("a") || ops.contains("g")) && noneOf(ops, Set.of("s", "r", "h", "z", "j"));
            case ZSET_ELEMENT -> ops.contains("z") && ops.contains("w") && noneOf(ops, Set.of("s", "r", "j", "h"))
                    || ops.contains("g") && noneOf(ops, Set.of("s", "r", "j", "h"));
            case ZSET_SCORE_COUNTER -> ops.contains("z") && ops.contains("j") && noneOf(ops, Set.of("s", "r", "h"));
            case LIST_OPS -> (ops.contains("H") || ops.contains("T") || ops.contains("X")) && noneOf(ops, Set.of("s", "r"));
            case STREAM_OPS -> ops.stream().anyMatch(op -> op.startsWith("x") && !op.equals("x"))
                    && noneOf(ops, Set.of("s", "r"));
            case KEY_DELETE -> ops.contains("d") && noneOf(ops, Set.of("s", "r"));
            case EXPIRY -> ops.contains("e") && noneOf(ops, Set.of("s", "r", "d"));
            case DB_FLUSH -> ops.contains("f") && noneOf(ops, Set.of("s", "r", "d"));
            case NOT_REPLICABLE, NODE_LOCAL -> false;
        };
        if (!ok) {
            return "logged ops " + ops;
        }
        peer.conn.callParsed("FLUSHALL");
        peer.apply(node.origin, entries);
        String here = node.digest();
        String there = peer.digest();
        return here.equals(there) ? null : "the peer that applied its log holds " + there + ", the writer " + here;
    }

    private static boolean noneOf(List<String> ops, Set<String> forbidden) {
        return ops.stream().noneMatch(forbidden::contains);
    }

    /** The words of a sample; {@code <dump>} stands for a DUMP of the string "x". */
    private static Object[] args(String command) {
        Object[] words = command.split(" ");
        for (int i = 0; i < words.length; i++) {
            if (words[i].equals("<dump>")) {
                node.conn.callParsed("SET", "dumped", "x");
                words[i] = node.conn.callParsed("DUMP", "dumped");
                node.conn.callParsed("DEL", "dumped");
            }
        }
        assertInstanceOf(String.class, words[0]);
        return words;
    }
}
