package io.keymesh.storage.merge;

import static io.keymesh.storage.merge.MergeRule.*;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Every write command of Redis 7.0 with its merge rule: the one home of that fact. The proxy's
 * command table takes each write row's rule from here (and fails to build when a write row has
 * none, or a command here has no write row), and the apply library gets the same rules as a Lua
 * table when it loads ({@link LibraryFacts}). docs/design/merge.md's table is checked against it.
 *
 * <p>Names are upper case as on the wire; a subcommand is written "XGROUP|CREATE", and the apply
 * library sees the container's rule.
 */
public final class WriteCommands {
    /** A command the library refuses: its name and why, as the error's parenthesis says it. */
    private record Refused(String name, String why) {
    }

    private static final Map<String, MergeRule> RULES;
    private static final Map<String, String> REFUSALS;

    static {
        Map<String, MergeRule> r = new LinkedHashMap<>();
        Map<String, String> refused = new LinkedHashMap<>();
        // whole-key register: the state of each key written (a key left empty: a delete)
        put(r, LWW_REGISTER, "APPEND", "BITFIELD", "BITOP", "BZMPOP", "BZPOPMAX", "BZPOPMIN", "COPY", "GEOADD",
                "GEORADIUS", "GEORADIUSBYMEMBER", "GEOSEARCHSTORE", "GETSET", "LINSERT", "LSET", "MOVE", "MSET",
                "MSETNX", "PFADD", "PFMERGE", "PSETEX", "RENAME", "RENAMENX", "RESTORE", "SDIFFSTORE", "SET",
                "SETBIT", "SETEX", "SETNX", "SETRANGE", "SINTERSTORE", "SORT", "SPOP", "SUNIONSTORE", "ZDIFFSTORE",
                "ZINTERSTORE", "ZMPOP", "ZPOPMAX", "ZPOPMIN", "ZRANGESTORE", "ZREMRANGEBYLEX", "ZREMRANGEBYRANK",
                "ZREMRANGEBYSCORE", "ZUNIONSTORE");
        put(r, COUNTER, "DECR", "DECRBY", "INCR", "INCRBY", "INCRBYFLOAT");
        put(r, HASH_FIELD, "HDEL", "HMSET", "HSET", "HSETNX");
        put(r, HASH_FIELD_COUNTER, "HINCRBY", "HINCRBYFLOAT");
        put(r, SET_ELEMENT, "SADD", "SMOVE", "SREM");
        put(r, ZSET_ELEMENT, "ZADD", "ZREM");
        put(r, ZSET_SCORE_COUNTER, "ZINCRBY");
        put(r, LIST_OPS, "BLMOVE", "BLMPOP", "BLPOP", "BRPOP", "BRPOPLPUSH", "LMOVE", "LMPOP", "LPOP", "LPUSH",
                "LPUSHX", "LREM", "LTRIM", "RPOP", "RPOPLPUSH", "RPUSH", "RPUSHX");
        put(r, STREAM_OPS, "XACK", "XADD", "XAUTOCLAIM", "XCLAIM", "XDEL", "XGROUP", "XGROUP|CREATE",
                "XGROUP|DELCONSUMER", "XGROUP|DESTROY", "XGROUP|SETID", "XREADGROUP", "XTRIM");
        put(r, KEY_DELETE, "DEL", "GETDEL", "UNLINK");
        put(r, EXPIRY, "EXPIRE", "EXPIREAT", "GETEX", "PERSIST", "PEXPIRE", "PEXPIREAT");
        put(r, DB_FLUSH, "FLUSHALL", "FLUSHDB");
        put(r, NODE_LOCAL, "XGROUP|CREATECONSUMER", "XSETID");
        for (Refused x : new Refused[] {
                new Refused("MIGRATE", "it moves keys to another server"),
                new Refused("RESTORE-ASKING", "it is a cluster-internal command"),
                new Refused("SWAPDB", "it swaps whole databases, which no per-key merge can express")}) {
            put(r, NOT_REPLICABLE, x.name());
            refused.put(x.name(), "ERR keymesh: " + x.name() + " cannot be replicated between nodes (" + x.why()
                    + "), so it is not allowed while replication is on");
        }
        RULES = Collections.unmodifiableMap(r);
        REFUSALS = Collections.unmodifiableMap(refused);
    }

    private WriteCommands() {
    }

    private static void put(Map<String, MergeRule> rules, MergeRule rule, String... names) {
        for (String name : names) {
            if (rules.putIfAbsent(name, rule) != null) {
                throw new IllegalStateException("write command listed twice: " + name);
            }
        }
    }

    /** Every write command (upper case, subcommands as "XGROUP|CREATE") and its rule, in a fixed order. */
    public static Map<String, MergeRule> rules() {
        return RULES;
    }

    /** The rule of write command {@code name} (either case), or null when it is not a write command. */
    public static MergeRule rule(String name) {
        return RULES.get(name.toUpperCase(Locale.ROOT));
    }

    /** The error text (without the leading '-') for a {@link MergeRule#NOT_REPLICABLE} command, else null. */
    public static String refusal(String name) {
        return REFUSALS.get(name.toUpperCase(Locale.ROOT));
    }
}
