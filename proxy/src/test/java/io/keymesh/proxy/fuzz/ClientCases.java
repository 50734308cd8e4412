package io.keymesh.proxy.fuzz;

import java.util.ArrayList;
import java.util.List;

/**
 * Generates the client-port cases: commands with wrong arity, huge counts, bad numbers, odd keys
 * and values, unknown commands; MULTI/EXEC/WATCH misuse; SUBSCRIBE mixed with other commands and
 * protocol switches; blocking commands with short or bad timeouts; and RESP framing gone wrong
 * (bad types, negative and huge lengths, nesting, inline commands, lost CRLFs, binary, RESP3
 * types, truncation, flipped bytes).
 *
 * <p>Left out on purpose, because they are a client's own choice and not bad input: commands that
 * wait forever (a blocking pop with timeout 0 outside MULTI, WAIT without a timeout, CLIENT PAUSE
 * for long), that end other clients (CLIENT KILL, CLIENT REPLY OFF, MONITOR's flood), that erase
 * the control key (FLUSHALL, FLUSHDB, SWAPDB), that ask redis-server for gigabytes (SETRANGE or
 * SETBIT just under the 512 MB limit, negative RANDMEMBER counts in the billions), MIGRATE (dials
 * out) and SAVE/BGSAVE/BGREWRITEAOF (cost, not input). Keys are {@code fz:*}, never the control keys.
 */
final class ClientCases {
    /** Commands taken with random arguments. */
    private static final String[] COMMANDS = {
        "GET", "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX", "MGET", "MSET", "MSETNX", "APPEND",
        "STRLEN", "INCR", "INCRBY", "DECR", "DECRBY", "INCRBYFLOAT", "GETRANGE", "SETRANGE", "SUBSTR", "LCS",
        "BITCOUNT", "BITPOS", "BITOP", "GETBIT", "SETBIT", "BITFIELD", "BITFIELD_RO",
        "DEL", "UNLINK", "EXISTS", "TYPE", "TTL", "PTTL", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "EXPIRETIME",
        "PERSIST", "RENAME", "RENAMENX", "COPY", "MOVE", "KEYS", "SCAN", "RANDOMKEY", "DUMP", "RESTORE", "TOUCH",
        "OBJECT", "SORT", "SORT_RO", "DBSIZE",
        "HSET", "HSETNX", "HGET", "HMGET", "HMSET", "HDEL", "HLEN", "HKEYS", "HVALS", "HGETALL", "HEXISTS", "HINCRBY",
        "HINCRBYFLOAT", "HSTRLEN", "HRANDFIELD", "HSCAN",
        "LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "LPOP", "RPOP", "LLEN", "LRANGE", "LINDEX", "LSET", "LINSERT", "LREM",
        "LTRIM", "LPOS", "LMOVE", "RPOPLPUSH", "LMPOP",
        "SADD", "SREM", "SMEMBERS", "SISMEMBER", "SMISMEMBER", "SCARD", "SPOP", "SRANDMEMBER", "SMOVE", "SINTER",
        "SINTERCARD", "SUNION", "SDIFF", "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE", "SSCAN",
        "ZADD", "ZREM", "ZSCORE", "ZMSCORE", "ZINCRBY", "ZCARD", "ZCOUNT", "ZRANGE", "ZRANGESTORE", "ZRANGEBYSCORE",
        "ZREVRANGE", "ZRANK", "ZREVRANK", "ZPOPMIN", "ZPOPMAX", "ZMPOP", "ZRANDMEMBER", "ZUNIONSTORE", "ZINTERSTORE",
        "ZDIFF", "ZLEXCOUNT", "ZSCAN", "ZREMRANGEBYSCORE", "ZREMRANGEBYRANK",
        "XADD", "XLEN", "XRANGE", "XREVRANGE", "XDEL", "XTRIM", "XREAD", "XGROUP", "XREADGROUP", "XACK", "XPENDING",
        "XCLAIM", "XAUTOCLAIM", "XINFO", "XSETID",
        "PFADD", "PFCOUNT", "PFMERGE", "GEOADD", "GEODIST", "GEOPOS", "GEOSEARCH", "GEORADIUS",
        "EVAL", "EVAL_RO", "EVALSHA", "SCRIPT", "FCALL", "FCALL_RO", "FUNCTION",
        "PING", "ECHO", "SELECT", "INFO", "TIME", "LASTSAVE", "COMMAND", "MEMORY", "LATENCY", "SLOWLOG", "CONFIG",
        "HELLO", "AUTH", "ACL", "KEYMESH", "ROLE", "LOLWUT", "PUBLISH", "SPUBLISH", "PUBSUB", "CLIENT",
        "SHUTDOWN", "DEBUG", "REPLICAOF", "SLAVEOF", "SYNC", "PSYNC", "MODULE", "FAILOVER", "CLUSTER", "READONLY",
        "READWRITE", "ASKING", "WATCH", "UNWATCH", "MULTI", "EXEC", "DISCARD", "RESET", "QUIT"};
    private static final String[] WORDS = {"EX", "PX", "EXAT", "PXAT", "NX", "XX", "GT", "LT", "KEEPTTL", "GET", "CH",
        "INCR", "LIMIT", "WITHSCORES", "COUNT", "MATCH", "TYPE", "BYSCORE", "BYLEX", "REV", "WITHVALUES", "STREAMS",
        "MAXLEN", "MINID", "~", "=", "*", "$", ">", "+", "-", "(1", "[a", "LEFT", "RIGHT", "BEFORE", "AFTER",
        "AGGREGATE", "SUM", "MIN", "MAX", "WEIGHTS", "STORE", "BY", "ASC", "DESC", "ALPHA", "ID", "IDLE", "FORCE",
        "JUSTID", "MKSTREAM", "ON", "YES", "NO", "SYNC", "ASYNC", "REPLACE", "ABSTTL", "FREQ", "ENCODING", "DB",
        "NOSAVE", "LOAD", "LIST", "HELP", "STATUS", "PEERS", "POS", "HELLO", "PULL", "RANK", "LEN", "BCAST",
        "PREFIX", "OPTIN", "OPTOUT", "NOLOOP", "REDIRECT", "AUTH", "SETNAME", "USAGE", "SAMPLES", "CREATE",
        "DESTROY", "SETID", "GROUPS", "CONSUMERS", "STREAM", "FULL", "EXISTS", "FLUSH", "DELETE", "RESTORE",
        "DOCS", "GETKEYS", "INFO", "WHOAMI", "CAT", "USERS", "GETUSER", "SETUSER", "DRYRUN", "RESETSTAT", "REWRITE",
        "DOCTOR", "HISTOGRAM", "LATEST", "NUMSUB", "NUMPAT", "CHANNELS", "SHARDCHANNELS", "FROMMEMBER", "FROMLONLAT",
        "BYRADIUS", "BYBOX", "m", "km", "WITHCOORD", "WITHDIST", "OVERFLOW", "WRAP", "SAT", "FAIL", "u8", "i64",
        "#1", "u63", "i65"};
    private static final String[] SCRIPTS = {"return 1", "return redis.call('GET', KEYS[1])",
        "return redis.call('SET', KEYS[1], ARGV[1])", "return {1, {2, {3, {4}}}, 'x', nil, true}", "error('fuzz')",
        "return redis.error_reply('ERR fuzz')", "return redis.call('NOSUCH')", "return KEYS[1000]", "local x = ",
        "return redis.pcall('INCR', KEYS[1])", "return 3.99", "return string.rep('x', 100000)", "#!lua name=fz\n",
        "#!lua name=fz\nredis.register_function('fz', function(k, a) return 1 end)", ""};
    private static final String[] CLIENT_SUBCOMMANDS = {"ID", "GETNAME", "SETNAME", "INFO", "LIST", "TRACKING",
        "CACHING", "TRACKINGINFO", "GETREDIR", "REPLY", "NO-EVICT", "NO-TOUCH", "UNBLOCK", "UNPAUSE", "SETINFO",
        "HELP", "PAUSE", "BOGUS"};
    private static final String[] BLOCKING = {"BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX",
        "BLMPOP", "BZMPOP", "XREAD", "XREADGROUP", "WAIT"};
    private static final String[] SHORT_TIMEOUTS = {"0.01", "0.001", "-1", "abc", "nan", "1e400", "-0.5", "0x1p-8", ""};

    /**
     * Whether pubsub cases may send other commands after an UNSUBSCRIBE, UNSUBSCRIBE several
     * channels at once and share their connection with other cases (see {@link #pubsub}); off, they
     * end at their first UNSUBSCRIBE and go alone on a connection the client ends.
     */
    static final boolean AFTER_UNSUBSCRIBE = true;

    private ClientCases() {
    }

    /** Whether the case must be the last of its batch (nothing pipelined behind it). */
    static boolean endsBatch(FuzzCase c) {
        return !AFTER_UNSUBSCRIBE && c.kind().equals("pubsub");
    }

    static FuzzCase generate(long seed, long number) {
        Pick p = new Pick(seed, number);
        int r = p.below(100);
        if (r < 55) {
            return complete(number, "command", pipeline(p));
        }
        if (r < 66) {
            return complete(number, "transaction", transaction(p));
        }
        if (r < 72) {
            return new FuzzCase(number, FuzzCase.Target.CLIENT, pubsub(p), AFTER_UNSUBSCRIBE, "pubsub");
        }
        if (r < 78) {
            return complete(number, "blocking", commands(p, List.of(blocking(p))));
        }
        if (r < 85) {
            // alone on its connection: requests pipelined around an inline protocol error once hung
            // (docs/design/security.md, "Fuzzing", open findings)
            return new FuzzCase(number, FuzzCase.Target.CLIENT, inline(p), false, "inline");
        }
        return framing(p, number);
    }

    private static FuzzCase complete(long number, String kind, byte[] bytes) {
        return new FuzzCase(number, FuzzCase.Target.CLIENT, bytes, true, kind);
    }

    private static byte[] commands(Pick p, List<List<byte[]>> commands) {
        RespBytes out = new RespBytes();
        commands.forEach(out::command);
        return out.bytes();
    }

    private static byte[] pipeline(Pick p) {
        List<List<byte[]>> cmds = new ArrayList<>();
        int n = p.chance(0.8) ? 1 : p.between(2, 6);
        for (int i = 0; i < n; i++) {
            cmds.add(command(p));
        }
        return commands(p, cmds);
    }

    /** One command with random arguments (an unknown name now and then). */
    static List<byte[]> command(Pick p) {
        List<byte[]> args = new ArrayList<>();
        String name = p.chance(0.03) ? p.one("", "NOSUCHCOMMAND", p.word(p.between(1, 12)), "GET\u0000", "g e t",
                "km_r", "FCALL", "get", "sEt", "\u00e9") : p.one(COMMANDS);
        args.add(Pick.utf8(name));
        if (name.equals("CLIENT")) {
            String sub = p.one(CLIENT_SUBCOMMANDS);
            args.add(Pick.utf8(sub));
            if (sub.equals("REPLY")) {
                args.add(Pick.utf8(p.one("ON", "SKIP", "BOGUS", "")));
                return args;
            }
            if (sub.equals("PAUSE")) {
                args.add(Pick.utf8(p.one("5", "-1", "abc", "0", "9223372036854775808")));
                return args;
            }
        }
        if (name.equals("EVAL") || name.equals("EVAL_RO") || name.equals("FUNCTION") && p.chance(0.5)) {
            if (name.equals("FUNCTION")) {
                args.add(Pick.utf8(p.one("LOAD", "LIST", "DUMP", "STATS", "RESTORE", "DELETE", "KILL", "BOGUS")));
            }
            args.add(Pick.utf8(p.one(SCRIPTS)));
        }
        int count = p.chance(0.01) ? p.between(100, 3000) : p.size(12);
        boolean random = RANDOM_MEMBERS.contains(name);
        for (int i = 0; i < count; i++) {
            byte[] a = argument(p);
            // a negative count asks for that many members, repeats allowed: billions is a client's own choice
            args.add(random && isHugeNegative(a) ? Pick.utf8("-5") : a);
        }
        return args;
    }

    private static final java.util.Set<String> RANDOM_MEMBERS = java.util.Set.of("SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER");

    /** A negative number below -1,000,000 that Redis takes as a count (down to -2^63 + 1). */
    private static boolean isHugeNegative(byte[] arg) {
        String s = new String(arg, java.nio.charset.StandardCharsets.ISO_8859_1).trim();
        try {
            long n = Long.parseLong(s);
            return n < -1_000_000 && n != Long.MIN_VALUE;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static byte[] argument(Pick p) {
        int r = p.below(100);
        if (r < 38) {
            return key(p);
        }
        if (r < 63) {
            return Pick.utf8(p.number());
        }
        if (r < 78) {
            return Pick.utf8(p.one(WORDS));
        }
        if (r < 88) {
            return Pick.utf8(p.word(p.size(64)));
        }
        if (r < 99) {
            return p.binary(p.size(256));
        }
        return p.binary(p.chance(0.95) ? p.between(1000, 70_000) : p.between(100_000, 1_100_000));
    }

    private static byte[] key(Pick p) {
        if (p.chance(0.05)) {
            return p.chance(0.5) ? new byte[0] : p.chance(0.5) ? p.binary(p.size(40)) : Pick.utf8("fz:" + p.word(2000));
        }
        return Pick.utf8("fz:" + p.below(48));
    }

    private static byte[] transaction(Pick p) {
        List<List<byte[]>> cmds = new ArrayList<>();
        int n = p.between(1, 8);
        boolean queued = false;                      // inside MULTI: a blocking pop with timeout 0 does not block
        for (int i = 0; i < n; i++) {
            int r = p.below(12);
            List<byte[]> cmd = switch (r) {
                case 0, 1 -> args("MULTI");
                case 2 -> args("EXEC");
                case 3 -> args("DISCARD");
                case 4 -> args("WATCH", "fz:" + p.below(48));
                case 5 -> args("UNWATCH");
                case 6 -> args("SUBSCRIBE", "fzch");
                case 7 -> queued ? args(p.one("BLPOP", "BRPOP", "BZPOPMIN"), "fz:" + p.below(48), "0") : args("MULTI");
                default -> command(p);
            };
            String name = new String(cmd.get(0), java.nio.charset.StandardCharsets.UTF_8).toUpperCase(java.util.Locale.ROOT);
            boolean alone = cmd.size() == 1;             // MULTI x, DISCARD x, RESET x are arity errors that change nothing
            if (name.equals("MULTI") && alone) {
                queued = true;
            } else if ((name.equals("DISCARD") || name.equals("RESET")) && alone || name.equals("EXEC")
                    || name.equals("QUIT")) {
                queued = false;                          // EXEC x too: Redis answers EXECABORT and ends the transaction
            }
            cmds.add(cmd);
        }
        if (p.chance(0.8)) {
            cmds.add(args(p.one("EXEC", "DISCARD")));
        }
        return commands(p, cmds);
    }

    /**
     * SUBSCRIBE and friends mixed with other commands and protocol switches, requests pipelined
     * behind (P|S)UNSUBSCRIBE included (with {@link #AFTER_UNSUBSCRIBE}).
     */
    private static byte[] pubsub(Pick p) {
        List<List<byte[]>> cmds = new ArrayList<>();
        int n = p.between(1, 8);
        for (int i = 0; i < n; i++) {
            int r = p.below(14);
            cmds.add(switch (r) {
                case 0, 1 -> args("SUBSCRIBE", "fzch" + p.below(4), "fzch" + p.below(4));
                case 2 -> args("PSUBSCRIBE", p.one("fz*", "*", "[", "fzch?"));
                case 3 -> args("SSUBSCRIBE", "fzs" + p.below(4));
                case 4 -> args(p.one("UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"));
                case 5 -> AFTER_UNSUBSCRIBE ? args("UNSUBSCRIBE", "fzch" + p.below(4), "nosuch")
                        : args("UNSUBSCRIBE", "fzch" + p.below(4));
                case 6 -> args("PING");
                case 7 -> args("PING", p.word(5));
                case 8 -> args("HELLO", p.one("2", "3", "4", "-1"));
                case 9 -> args("PUBLISH", "fzch" + p.below(4), p.word(p.size(100)));
                case 10 -> args("SPUBLISH", "fzs" + p.below(4), p.word(10));
                default -> command(p);
            });
            if ((r == 4 || r == 5) && !AFTER_UNSUBSCRIBE) {
                break;                                   // nothing pipelined behind an UNSUBSCRIBE
            }
        }
        return commands(p, cmds);
    }

    private static List<byte[]> blocking(Pick p) {
        String name = p.one(BLOCKING);
        String timeout = p.one(SHORT_TIMEOUTS);
        String key = "fz:" + p.below(48);
        List<byte[]> a = switch (name) {
            case "BLMOVE" -> args(name, key, "fz:" + p.below(48), p.one("LEFT", "RIGHT", "UP"), p.one("LEFT", "RIGHT"), timeout);
            case "BRPOPLPUSH" -> args(name, key, "fz:" + p.below(48), timeout);
            case "BLMPOP", "BZMPOP" -> args(name, timeout, p.one("1", "2", "0", "-1", "abc"), key,
                    p.one("LEFT", "RIGHT", "MIN", "MAX"), "COUNT", p.number());
            case "XREAD" -> args(name, "BLOCK", p.one("1", "10", "-1", "abc"), "STREAMS", key, p.one("$", "0", "0-0", "+", "x"));
            case "XREADGROUP" -> args(name, "GROUP", "g", "c", "BLOCK", p.one("1", "10", "-1", "abc"), "STREAMS", key, ">");
            case "WAIT" -> args(name, p.one("0", "1", "-1", "abc"), p.one("10", "1", "-1", "abc"));
            default -> args(name, key, timeout);
        };
        return a;
    }

    /** Inline commands (no RESP framing), as telnet would send them; quoting odd on purpose. */
    private static byte[] inline(Pick p) {
        RespBytes out = new RespBytes();
        int n = p.between(1, 3);
        for (int i = 0; i < n; i++) {
            out.raw(p.one("PING", "GET fz:1", "SET fz:2 \"a b\"", "SET fz:3 'x", "ECHO \"\\x41\\x4\"", "  ", "",
                    "GET \"fz:1", "MSET a", "SET fz:4 \"\\n\\r\\t\"", "\"unbalanced", "'", "*", "$5", "+OK", "-ERR",
                    ":1", "%1", "~1", ">2", "_", ",1.5", "#t", "(1", "=3", "|1", "INFO " + p.word(4),
                    "HELLO 3", "HELLO 2", "QUIT", "RESET", "SUBSCRIBE x", p.word(p.size(100))));
            out.raw(p.one("\r\n", "\n"));
        }
        return out.bytes();
    }

    /** Framing gone wrong; sent on a connection of its own, which is closed after it. */
    private static FuzzCase framing(Pick p, long number) {
        RespBytes out = new RespBytes();
        int r = p.below(16);
        switch (r) {
            case 0 -> out.raw("*" + p.number() + "\r\n");
            case 1 -> out.raw("*1\r\n$" + p.number() + "\r\n").raw(p.binary(p.size(64)));
            case 2 -> out.raw("*2\r\n$3\r\nGET\r\n$" + p.one("2147483648", "536870912", "536870913", "-2", "99999999999999999999")
                    + "\r\n").raw(p.binary(p.size(64)));
            case 3 -> {
                int depth = p.chance(0.5) ? p.between(2, 10) : p.between(1000, 100_000);
                for (int i = 0; i < depth; i++) {
                    out.raw("*1\r\n");
                }
                out.raw("$4\r\nPING\r\n");
            }
            case 4 -> out.raw(p.one("%", "~", ">", "_", ",", "#", "(", "=", "|", "!", "+", "-", ":", "$")
                    + p.number() + "\r\n").raw(p.binary(p.size(32)));
            case 5 -> out.raw(p.binary(p.between(1, 512)));
            case 6 -> out.raw("*2\r\n$3\r\nGET\r\n$4\r\nfz:1" + p.one("", "\r", "\n", "XY", "\n\r")).raw(p.binary(p.size(8)));
            case 7 -> out.raw("*3\r\n$3\r\nSET\r\n$4\r\nfz:1\r\n" + p.one("+OK\r\n", ":1\r\n", "*0\r\n", "_\r\n"));
            case 8 -> out.raw(p.word(p.between(65_000, 70_000)) + p.one("", "\r\n"));       // inline past max-inline-len
            case 9 -> out.raw("*" + p.between(1, 5) + "\r\n").raw(p.one("$-1\r\n", "$0\r\n\r\n", "$0\r\n"));
            case 10 -> out.raw("*1048577\r\n");                                              // past max-multibulk-len
            case 11 -> out.raw("*" + p.number() + "\n$" + p.number() + "\n");
            case 12 -> out.raw("\r\n\r\n*1\r\n\r\n");
            case 13 -> out.raw("*1\r\n$4\r\nPI");                                             // truncated
            default -> {
                byte[] valid = new RespBytes().command(command(p)).bytes();
                int flips = p.between(1, 4);
                for (int i = 0; i < flips && valid.length > 0; i++) {
                    valid[p.below(valid.length)] = (byte) p.below(256);
                }
                out.raw(valid);
            }
        }
        return new FuzzCase(number, FuzzCase.Target.CLIENT, out.bytes(), false, "framing-" + r);
    }

    private static List<byte[]> args(String... items) {
        List<byte[]> out = new ArrayList<>(items.length);
        for (String s : items) {
            out.add(Pick.utf8(s));
        }
        return out;
    }
}
