package io.keymesh.proxy.write;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.keymesh.proxy.it.RespSocket;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * With replication forced on, every write runs inside the keymesh function library; clients must
 * still get exactly Redis' replies. A sequence of commands of every family goes to the node and to a
 * plain redis-server, in RESP2 and RESP3, and the reply bytes must be identical.
 */
class ReplicatedRepliesIT extends ReplicatingNodePerClass {
    static final List<String[]> SEQUENCE = List.of(
            // strings and counters
            c("SET", "s", "hello"), c("GET", "s"), c("SET", "s", "world", "GET"), c("SETNX", "s", "x"),
            c("APPEND", "s", "!"), c("SETRANGE", "s", "0", "W"), c("GETRANGE", "s", "0", "2"), c("STRLEN", "s"),
            c("MSET", "a", "1", "b", "2"), c("MSETNX", "a", "9", "c", "3"), c("MGET", "a", "b", "c"),
            c("INCR", "n"), c("INCRBY", "n", "41"), c("DECR", "n"), c("DECRBY", "n", "2"), c("INCRBYFLOAT", "f", "1.5"),
            c("INCR", "s"), c("GETDEL", "a"), c("GETEX", "b", "PX", "100000"), c("PERSIST", "b"), c("GETSET", "b", "22"),
            c("SETEX", "e", "100", "v"), c("PSETEX", "e2", "100000", "v"), c("SETBIT", "bits", "7", "1"),
            c("BITFIELD", "bf", "INCRBY", "u8", "0", "300"), c("BITOP", "OR", "bits2", "bits", "bf"),
            // keys
            c("EXPIRE", "s", "1000"), c("TTL", "s"), c("PEXPIRE", "s", "5000", "GT"), c("EXPIREAT", "n", "4102444800"),
            c("RENAME", "n", "n2"), c("RENAMENX", "n2", "b"), c("COPY", "n2", "n3"), c("EXISTS", "n2", "n3", "zz"),
            c("TYPE", "n3"), c("DEL", "n3", "zz"), c("UNLINK", "n2"), c("MOVE", "e", "3"), c("COPY", "b", "b9", "DB", "2"),
            // hashes
            c("HSET", "h", "f1", "v1", "f2", "v2"), c("HSETNX", "h", "f1", "x"), c("HINCRBY", "h", "cnt", "5"),
            c("HINCRBYFLOAT", "h", "fl", "0.25"), c("HDEL", "h", "f2", "nope"), c("HGETALL", "h"), c("HMSET", "h", "a", "b"),
            // lists
            c("RPUSH", "l", "a", "b", "c", "d"), c("LPUSH", "l", "z"), c("LPUSHX", "nol", "x"), c("LINSERT", "l", "BEFORE", "b", "ab"),
            c("LSET", "l", "0", "Z"), c("LREM", "l", "1", "c"), c("LPOP", "l"), c("RPOP", "l", "2"), c("LRANGE", "l", "0", "-1"),
            c("RPOPLPUSH", "l", "l2"), c("LMOVE", "l2", "l", "LEFT", "RIGHT"), c("LTRIM", "l", "0", "0"),
            c("LMPOP", "2", "nol", "l", "LEFT"), c("RPUSH", "l", "x"), c("BLPOP", "l", "0.01"), c("BLPOP", "l", "0.01"),
            // counts of keys from the client: answered at once with Redis' errors, never counted up to in a script
            c("LMPOP", "2147483648", "l", "LEFT"), c("LMPOP", "inf", "l", "LEFT"), c("LMPOP", "abc", "l", "LEFT"),
            c("BLMPOP", "0.01", "9223372036854775807", "l", "LEFT"), c("ZMPOP", "2147483648", "z", "MIN"),
            // sets
            c("SADD", "st", "a", "b", "c"), c("SREM", "st", "c"), c("SMOVE", "st", "st2", "a"), c("SCARD", "st"),
            c("SUNIONSTORE", "su", "st", "st2"), c("SINTERSTORE", "si", "st", "st2"), c("SDIFFSTORE", "sd", "su", "st"),
            c("SMEMBERS", "sd"),
            // sorted sets
            c("ZADD", "z", "1", "a", "2", "b", "3", "c"), c("ZINCRBY", "z", "2", "a"), c("ZREM", "z", "c"),
            c("ZPOPMIN", "z"), c("ZRANGE", "z", "0", "-1", "WITHSCORES"), c("ZADD", "z2", "5", "q"),
            c("ZUNIONSTORE", "zu", "2", "z", "z2"), c("ZRANGESTORE", "zr", "zu", "0", "0"), c("ZMPOP", "1", "zu", "MAX"),
            c("ZREMRANGEBYSCORE", "zu", "-inf", "+inf"), c("GEOADD", "g", "13.36", "38.11", "palermo"),
            // hyperloglog
            c("PFADD", "hll", "a", "b"), c("PFADD", "hll2", "c"), c("PFMERGE", "hll3", "hll", "hll2"), c("PFCOUNT", "hll3"),
            // streams
            c("XADD", "x", "1-1", "f", "v"), c("XADD", "x", "2-1", "f", "w"), c("XGROUP", "CREATE", "x", "g", "0"),
            c("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "x", ">"), c("XACK", "x", "g", "1-1"),
            c("XDEL", "x", "2-1"), c("XTRIM", "x", "MAXLEN", "0"), c("XLEN", "x"),
            // sort with store, errors from Redis itself
            c("RPUSH", "sl", "3", "1", "2"), c("SORT", "sl", "STORE", "sorted"), c("LRANGE", "sorted", "0", "-1"),
            c("SET", "s"), c("LPUSH", "s", "x"), c("INCR", "h"), c("SET", "k", "v", "BADOPTION"),
            c("DBSIZE"), c("FLUSHDB"), c("DBSIZE"));

    private static String[] c(String... args) {
        return args;
    }

    @Test
    void repliesMatchPlainRedisInResp2() throws IOException {
        compare(false);
    }

    @Test
    void repliesMatchPlainRedisInResp3() throws IOException {
        compare(true);
    }

    private static void compare(boolean resp3) throws IOException {
        try (RespSocket node = fx.raw(); RespSocket plain = fx.rawPlain()) {
            for (RespSocket s : List.of(node, plain)) {
                s.call("FLUSHALL");
                if (resp3) {
                    s.call("HELLO", "3");
                }
            }
            for (String[] command : SEQUENCE) {
                assertEquals(plain.callRaw(command), node.callRaw(command), "reply to " + String.join(" ", command)
                        + (resp3 ? " (RESP3)" : " (RESP2)"));
            }
        }
    }
}
