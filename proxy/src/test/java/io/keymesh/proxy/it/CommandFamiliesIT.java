package io.keymesh.proxy.it;

import static io.keymesh.proxy.it.KeymeshFixture.call;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.BitFieldArgs;
import io.lettuce.core.Consumer;
import io.lettuce.core.FlushMode;
import io.lettuce.core.GeoArgs;
import io.lettuce.core.GeoSearch;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.LMPopArgs;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.SortArgs;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.ZAddArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.models.stream.ClaimedMessages;
import io.lettuce.core.protocol.ProtocolVersion;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Redis command families through keymesh. Each test uses the commands the way a Lettuce user would
 * and asserts the replies, then sends a deterministic command sequence both to keymesh and to a
 * plain redis-server (the fixture's direct server) in RESP2 and in RESP3 and requires the reply
 * bytes to be identical: keymesh must pass on Redis' own replies.
 */
class CommandFamiliesIT extends OneNodePerClass {
    private static StatefulRedisConnection<String, String> keymesh;
    private static RedisCommands<String, String> km;

    @BeforeAll
    static void connectClients() {
        keymesh = fx.connect(ProtocolVersion.RESP2);
        km = keymesh.sync();
        fx.directPort();
    }

    /** Sends each command to keymesh and to the direct redis-server, in RESP2 then RESP3; replies must be byte-identical. */
    private static void assertRepliesLikeRedis(String[]... commands) throws IOException {
        for (int protocol : new int[] {2, 3}) {
            fx.flushAll();
            try (RespSocket k = fx.raw(); RespSocket d = fx.rawDirect()) {
                if (protocol == 3) {
                    k.call("HELLO", "3");
                    d.call("HELLO", "3");
                }
                for (String[] command : commands) {
                    String expected = d.callRaw(command);
                    String actual = k.callRaw(command);
                    assertEquals(expected, actual, "RESP" + protocol + " reply to " + String.join(" ", command));
                }
            }
        }
    }

    private static String[] c(String... args) {
        return args;
    }

    @Test
    void stringCommandsWithSetOptionsBehaveAsInRedis() throws IOException {
        assertEquals("OK", km.set("s", "v1", SetArgs.Builder.nx()));
        assertNull(km.set("s", "v2", SetArgs.Builder.nx()), "SET NX on an existing key");
        assertEquals("OK", km.set("s", "v2", SetArgs.Builder.xx()));
        assertNull(km.set("absent", "v", SetArgs.Builder.xx()), "SET XX on a missing key");
        assertEquals(0, km.exists("absent"));
        assertEquals("v2", km.setGet("s", "v3"), "SET ... GET returns the old value");
        assertEquals("OK", km.set("s", "v4", SetArgs.Builder.px(100_000)));
        long pttl = km.pttl("s");
        assertTrue(pttl > 90_000 && pttl <= 100_000, "PTTL after SET PX 100000: " + pttl);
        assertEquals("OK", km.set("s", "v5", SetArgs.Builder.keepttl()));
        assertTrue(km.pttl("s") > 90_000, "KEEPTTL kept the TTL");
        assertEquals("OK", km.set("s", "v6"));
        assertEquals(-1, km.pttl("s"), "plain SET clears the TTL");

        km.set("g", "Hello World");
        assertEquals("Hello", km.getrange("g", 0, 4));
        assertEquals("World", km.getrange("g", -5, -1));
        assertEquals(16, km.append("g", "!!!!!"));
        assertEquals("Hello World!!!!!", km.get("g"));
        assertEquals(10.5, km.incrbyfloat("f", 10.5));
        assertEquals(5.0e3 + 10.5, km.incrbyfloat("f", 5.0e3));
        assertEquals("OK", km.mset(Map.of("m1", "a", "m2", "b", "m3", "c")));
        List<KeyValue<String, String>> values = km.mget("m1", "nokey", "m3");
        assertEquals(List.of(KeyValue.just("m1", "a"), KeyValue.empty("nokey"), KeyValue.just("m3", "c")), values);

        assertRepliesLikeRedis(
                c("SET", "s", "v1", "NX"), c("SET", "s", "v2", "NX"), c("SET", "s", "v2", "XX"),
                c("SET", "absent", "v", "XX"), c("SET", "s", "v3", "GET"), c("SET", "s", "v4", "PX", "100000"),
                c("SET", "s", "v5", "KEEPTTL"), c("SET", "s", "v6", "NX", "XX"), c("SET", "s", "v", "EX", "0"),
                c("SET", "g", "Hello World"), c("GETRANGE", "g", "0", "4"), c("GETRANGE", "g", "-5", "-1"),
                c("APPEND", "g", "!!!!!"), c("STRLEN", "g"), c("INCRBYFLOAT", "f", "10.5"), c("INCRBYFLOAT", "f", "5.0e3"),
                c("INCRBYFLOAT", "g", "1"), c("INCR", "n"), c("INCRBY", "n", "41"), c("DECR", "n"), c("INCR", "g"),
                c("MSET", "m1", "a", "m2", "b"), c("MGET", "m1", "nokey", "m2"), c("MSETNX", "m1", "x", "m9", "y"),
                c("GETDEL", "m1"), c("GETEX", "m2", "PERSIST"), c("SETRANGE", "m2", "3", "zz"), c("GET", "m2"),
                c("LCS", "g", "m2"), c("SUBSTR", "g", "0", "2"), c("GETSET", "m2", "new"), c("SETNX", "m2", "no"));
    }

    @Test
    void bitmapCommandsBehaveAsInRedis() throws IOException {
        assertEquals(0, km.setbit("b1", 7, 1));
        assertEquals(0, km.setbit("b1", 9, 1));
        assertEquals(1, km.setbit("b1", 9, 1), "SETBIT returns the old bit");
        assertEquals(2, km.bitcount("b1"));
        km.setbit("b2", 7, 1);
        assertEquals(2, km.bitopAnd("band", "b1", "b2"));
        assertEquals(1, km.bitcount("band"));
        assertEquals(2, km.bitopOr("bor", "b1", "b2"));
        assertEquals(2, km.bitcount("bor"));
        List<Long> field = km.bitfield("bf", BitFieldArgs.Builder.set(BitFieldArgs.unsigned(8), 0, 200)
                .incrBy(BitFieldArgs.unsigned(8), 0, 100).overflow(BitFieldArgs.OverflowType.SAT)
                .incrBy(BitFieldArgs.unsigned(8), 8, 300).get(BitFieldArgs.signed(4), 0));
        assertEquals(List.of(0L, 44L, 255L, 2L), field);

        assertRepliesLikeRedis(
                c("SETBIT", "b1", "7", "1"), c("SETBIT", "b1", "9", "1"), c("GETBIT", "b1", "9"),
                c("BITCOUNT", "b1"), c("BITCOUNT", "b1", "1", "1"), c("BITCOUNT", "b1", "0", "15", "BIT"),
                c("SETBIT", "b2", "7", "1"), c("BITOP", "AND", "band", "b1", "b2"), c("BITOP", "XOR", "bx", "b1", "b2"),
                c("BITOP", "NOT", "bn", "b1"), c("GET", "bn"), c("BITPOS", "b1", "1"), c("BITPOS", "b1", "0"),
                c("BITFIELD", "bf", "SET", "u8", "0", "200", "INCRBY", "u8", "0", "100", "OVERFLOW", "SAT",
                        "INCRBY", "u8", "8", "300", "GET", "i4", "0"),
                c("BITFIELD_RO", "bf", "GET", "u16", "0"), c("BITFIELD", "bf", "GET", "x9", "0"),
                c("SETBIT", "b1", "-1", "1"));
    }

    @Test
    void hashCommandsBehaveAsInRedis() throws IOException {
        assertEquals(2, km.hset("h", Map.of("f1", "v1", "f2", "v2")));
        assertEquals("v1", km.hget("h", "f1"));
        assertTrue(km.hsetnx("h", "f3", "v3"));
        assertFalse(km.hsetnx("h", "f3", "other"));
        assertEquals(Map.of("f1", "v1", "f2", "v2", "f3", "v3"), km.hgetall("h"));
        assertEquals(7, km.hincrby("h", "n", 7));
        assertEquals(1, km.hdel("h", "f2"));
        assertEquals(3, km.hlen("h"));
        assertEquals(Set.of("f1", "f3", "n"), new HashSet<>(km.hkeys("h")));

        assertRepliesLikeRedis(
                c("HSET", "h", "f1", "v1", "f2", "v2"), c("HGET", "h", "f1"), c("HSETNX", "h", "f3", "v3"),
                c("HSETNX", "h", "f3", "x"), c("HGETALL", "h"), c("HMGET", "h", "f1", "nope", "f3"),
                c("HINCRBY", "h", "n", "7"), c("HINCRBYFLOAT", "h", "x", "1.25"), c("HDEL", "h", "f2", "nope"),
                c("HLEN", "h"), c("HKEYS", "h"), c("HVALS", "h"), c("HEXISTS", "h", "f1"), c("HSTRLEN", "h", "f1"),
                c("HSCAN", "h", "0"), c("HGET", "h", "nope"), c("HINCRBY", "h", "f1", "1"), c("HSET", "h"));
    }

    @Test
    void listCommandsIncludingLposAndLmpopBehaveAsInRedis() throws IOException {
        assertEquals(5, km.rpush("l", "a", "b", "c", "b", "d"));
        assertEquals(1, km.lpos("l", "b"));
        assertEquals(List.of(1L, 3L), km.lpos("l", "b", 0));
        assertEquals(List.of("a", "b", "c", "b", "d"), km.lrange("l", 0, -1));
        KeyValue<String, List<String>> popped = km.lmpop(LMPopArgs.Builder.left().count(2), "nolist", "l");
        assertEquals("l", popped.getKey());
        assertEquals(List.of("a", "b"), popped.getValue());
        assertEquals("d", km.rpop("l"));
        assertEquals(2, km.llen("l"));
        assertEquals(3, km.linsert("l", true, "c", "x"));
        assertEquals(List.of("x", "c", "b"), km.lrange("l", 0, -1));

        assertRepliesLikeRedis(
                c("RPUSH", "l", "a", "b", "c", "b", "d"), c("LPOS", "l", "b"), c("LPOS", "l", "b", "COUNT", "0"),
                c("LPOS", "l", "b", "RANK", "-1"), c("LPOS", "l", "zz"), c("LRANGE", "l", "0", "-1"),
                c("LMPOP", "2", "nolist", "l", "LEFT", "COUNT", "2"), c("LMPOP", "1", "nolist", "RIGHT"),
                c("RPOP", "l"), c("LPUSH", "l", "p"), c("LINDEX", "l", "0"), c("LSET", "l", "0", "q"),
                c("LINSERT", "l", "BEFORE", "c", "x"), c("LREM", "l", "0", "b"), c("LTRIM", "l", "0", "1"),
                c("LMOVE", "l", "l2", "LEFT", "RIGHT"), c("RPOPLPUSH", "l", "l2"), c("LRANGE", "l2", "0", "-1"),
                c("LPOP", "l2", "5"), c("LPUSHX", "nolist", "a"), c("LLEN", "l2"), c("LSET", "nolist", "0", "a"));
    }

    @Test
    void setCommandsBehaveAsInRedis() throws IOException {
        assertEquals(3, km.sadd("s1", "a", "b", "c"));
        assertEquals(3, km.sadd("s2", "b", "c", "d"));
        assertEquals(Set.of("b", "c"), km.sinter("s1", "s2"));
        assertEquals(Set.of("a", "b", "c", "d"), km.sunion("s1", "s2"));
        assertEquals(Set.of("a"), km.sdiff("s1", "s2"));
        assertTrue(km.sismember("s1", "a"));
        assertEquals(List.of(true, false), km.smismember("s1", "a", "z"));
        assertEquals(2, km.sinterstore("s3", "s1", "s2"));
        assertEquals(Set.of("b", "c"), km.smembers("s3"));

        assertRepliesLikeRedis(
                c("SADD", "i1", "1", "2", "3", "5"), c("SADD", "i2", "3", "5", "8"), c("SINTER", "i1", "i2"),
                c("SUNION", "i1", "i2"), c("SDIFF", "i1", "i2"), c("SISMEMBER", "i1", "1"), c("SMISMEMBER", "i1", "1", "9"),
                c("SINTERCARD", "2", "i1", "i2"), c("SCARD", "i1"), c("SREM", "i1", "1", "9"), c("SMEMBERS", "i1"),
                c("SMOVE", "i1", "i2", "2"), c("SUNIONSTORE", "i3", "i1", "i2"), c("SMEMBERS", "i3"),
                c("SADD", "w", "a"), c("SCARD", "w"), c("SADD", "i1"), c("SADD", "s", "x"), c("LPUSH", "s", "y"));
    }

    @Test
    void sortedSetCommandsWithZrangeOptionsAndZaddGtLtBehaveAsInRedis() throws IOException {
        assertEquals(4, km.zadd("z", ScoredValue.just(1, "a"), ScoredValue.just(2, "b"), ScoredValue.just(3, "c"),
                ScoredValue.just(4, "d")));
        assertEquals(0, km.zadd("z", ZAddArgs.Builder.gt(), 0.5, "a"), "ZADD GT with a lower score changes nothing");
        assertEquals(1.0, km.zscore("z", "a"));
        km.zadd("z", ZAddArgs.Builder.gt(), 10, "a");
        assertEquals(10.0, km.zscore("z", "a"));
        km.zadd("z", ZAddArgs.Builder.lt(), 20, "b");
        assertEquals(2.0, km.zscore("z", "b"), "ZADD LT with a higher score changes nothing");
        km.zadd("z", ZAddArgs.Builder.lt(), 1.5, "b");
        assertEquals(1.5, km.zscore("z", "b"));
        assertEquals(List.of("d", "c"), call(keymesh, "ZRANGE", "z", "(10", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2"));
        assertEquals(List.of("c", "3", "d", "4"), call(keymesh, "ZRANGE", "z", "2", "5", "BYSCORE", "WITHSCORES"));
        assertEquals(List.of("b", "c", "d", "a"), km.zrange("z", 0, -1));
        assertEquals(List.of("c", "d"), km.zrangebyscore("z", Range.create(2, 5), Limit.create(0, 10)));

        assertRepliesLikeRedis(
                c("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), c("ZADD", "z", "GT", "CH", "0.5", "a"),
                c("ZADD", "z", "GT", "CH", "10", "a"), c("ZADD", "z", "LT", "CH", "20", "b"),
                c("ZADD", "z", "LT", "CH", "1.5", "b"), c("ZADD", "z", "GT", "LT", "1", "a"),
                c("ZRANGE", "z", "(10", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2"),
                c("ZRANGE", "z", "2", "5", "BYSCORE", "WITHSCORES"), c("ZRANGE", "z", "0", "-1", "WITHSCORES"),
                c("ZRANGE", "z", "[a", "[c", "BYLEX"), c("ZRANGE", "z", "0", "-1", "REV"), c("ZSCORE", "z", "b"),
                c("ZINCRBY", "z", "2.5", "c"), c("ZRANK", "z", "c"), c("ZREVRANK", "z", "c"), c("ZCOUNT", "z", "1", "5"),
                c("ZPOPMIN", "z"), c("ZPOPMAX", "z", "2"), c("ZCARD", "z"), c("ZMSCORE", "z", "c", "nope"),
                c("ZADD", "z2", "1", "x", "2", "c"), c("ZUNIONSTORE", "zu", "2", "z", "z2", "WEIGHTS", "1", "2"),
                c("ZRANGE", "zu", "0", "-1", "WITHSCORES"), c("ZINTER", "2", "z", "z2", "WITHSCORES"),
                c("ZRANGESTORE", "zs", "z2", "0", "0"), c("ZREM", "z2", "x"), c("ZADD", "z", "NX", "XX", "1", "a"));
    }

    @Test
    void streamCommandsWithConsumerGroupsBehaveAsInRedis() throws IOException {
        String id1 = km.xadd("st", Map.of("f", "v1"));
        String id2 = km.xadd("st", Map.of("f", "v2"));
        List<StreamMessage<String, String>> range = km.xrange("st", Range.create("-", "+"));
        assertEquals(List.of(id1, id2), range.stream().map(StreamMessage::getId).toList());
        assertEquals("OK", km.xgroupCreate(XReadArgs.StreamOffset.from("st", "0"), "g"));
        List<StreamMessage<String, String>> read = km.xreadgroup(Consumer.from("g", "c1"),
                XReadArgs.StreamOffset.lastConsumed("st"));
        assertEquals(2, read.size());
        assertEquals(Map.of("f", "v1"), read.get(0).getBody());
        assertEquals(1, km.xack("st", "g", id1));
        ClaimedMessages<String, String> claimed = km.xautoclaim("st",
                XAutoClaimArgs.Builder.xautoclaim(Consumer.from("g", "c2"), 0, "0"));
        assertEquals(List.of(id2), claimed.getMessages().stream().map(StreamMessage::getId).toList());
        List<Object> info = km.xinfoStream("st");
        int at = info.indexOf("length");
        assertTrue(at >= 0, "XINFO STREAM has a length field: " + info);
        assertEquals(2L, info.get(at + 1));

        assertRepliesLikeRedis(
                c("XADD", "st", "1-1", "f", "v1"), c("XADD", "st", "2-1", "f", "v2"), c("XADD", "st", "1-0", "f", "x"),
                c("XRANGE", "st", "-", "+"), c("XREVRANGE", "st", "+", "-", "COUNT", "1"), c("XLEN", "st"),
                c("XGROUP", "CREATE", "st", "g", "0"), c("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "st", ">"),
                c("XACK", "st", "g", "1-1"), c("XPENDING", "st", "g"),
                c("XAUTOCLAIM", "st", "g", "c2", "0", "0"), c("XCLAIM", "st", "g", "c3", "0", "2-1", "JUSTID"),
                c("XREAD", "COUNT", "1", "STREAMS", "st", "0"), c("XDEL", "st", "1-1"), c("XTRIM", "st", "MAXLEN", "5"),
                c("XINFO", "GROUPS", "st"), c("XGROUP", "CREATE", "st", "g", "0"), c("XADD", "st", "0-0", "f", "v"));
    }

    @Test
    void hyperLogLogAndGeoCommandsBehaveAsInRedis() throws IOException {
        assertEquals(1, km.pfadd("hll", "a", "b", "c", "d"));
        assertEquals(0, km.pfadd("hll", "a"));
        assertEquals(4, km.pfcount("hll"));
        km.pfadd("hll2", "d", "e");
        assertEquals("OK", km.pfmerge("hllm", "hll", "hll2"));
        assertEquals(5, km.pfcount("hllm"));

        assertEquals(2, km.geoadd("geo", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania"));
        Double dist = km.geodist("geo", "Palermo", "Catania", GeoArgs.Unit.km);
        assertNotNull(dist);
        assertEquals(166.2742, dist, 0.001);
        Set<String> near = km.geosearch("geo", GeoSearch.fromCoordinates(15, 37), GeoSearch.byRadius(200, GeoArgs.Unit.km));
        assertEquals(Set.of("Palermo", "Catania"), near);
        Set<String> close = km.geosearch("geo", GeoSearch.fromMember("Catania"), GeoSearch.byRadius(100, GeoArgs.Unit.km));
        assertEquals(Set.of("Catania"), close);

        assertRepliesLikeRedis(
                c("PFADD", "hll", "a", "b", "c", "d"), c("PFADD", "hll", "a"), c("PFCOUNT", "hll"),
                c("PFADD", "hll2", "d", "e"), c("PFMERGE", "hllm", "hll", "hll2"), c("PFCOUNT", "hllm", "hll"),
                c("GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"),
                c("GEODIST", "geo", "Palermo", "Catania", "km"), c("GEOPOS", "geo", "Palermo", "nowhere"),
                c("GEOHASH", "geo", "Palermo"),
                c("GEOSEARCH", "geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHDIST", "WITHCOORD"),
                c("GEOSEARCH", "geo", "FROMMEMBER", "Catania", "BYBOX", "400", "400", "km", "DESC", "COUNT", "1"),
                c("GEOSEARCHSTORE", "gs", "geo", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"),
                c("ZRANGE", "gs", "0", "-1", "WITHSCORES"), c("GEOADD", "geo", "200", "100", "bad"));
    }

    @Test
    void scriptingWithEvalEvalshaScriptLoadAndFunctionsBehavesAsInRedis() throws IOException {
        assertEquals(3L, (Long) km.eval("return redis.call('INCRBY', KEYS[1], ARGV[1])", ScriptOutputType.INTEGER,
                new String[] {"counter"}, "3"));
        String sha = km.scriptLoad("return ARGV[1] .. redis.call('GET', KEYS[1])");
        assertEquals(40, sha.length());
        assertEquals("n=3", km.evalsha(sha, ScriptOutputType.VALUE, new String[] {"counter"}, "n="));
        assertEquals(List.of(true, false), km.scriptExists(sha, "0000000000000000000000000000000000000000"));
        String library = km.functionLoad("#!lua name=kmlib\n"
                + "redis.register_function('kmdouble', function(keys, args) "
                + "return redis.call('INCRBY', keys[1], redis.call('GET', keys[1])) end)");
        assertEquals("kmlib", library);
        assertEquals(6L, (Long) km.fcall("kmdouble", ScriptOutputType.INTEGER, "counter"));
        RedisCommandExecutionException noScript = assertThrows(RedisCommandExecutionException.class,
                () -> km.evalsha("ffffffffffffffffffffffffffffffffffffffff", ScriptOutputType.VALUE));
        assertTrue(noScript.getMessage().startsWith("NOSCRIPT"), noScript.getMessage());

        assertRepliesLikeRedis(
                c("EVAL", "return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}", "1", "cnt", "arg"),
                c("SCRIPT", "LOAD", "return redis.call('GET', KEYS[1])"),
                c("EVALSHA", "d3c21d0c2b9ca22f82737626a27bcaf5d288f99f", "1", "cnt"),
                c("SCRIPT", "EXISTS", "d3c21d0c2b9ca22f82737626a27bcaf5d288f99f", "nope"),
                c("EVAL", "return redis.error_reply('MYERR custom')", "0"), c("EVAL", "return 1.5", "0"),
                c("EVAL_RO", "return redis.call('SET', 'x', 'y')", "0"),
                c("FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('f2', function(k, a) return #k end)"),
                c("FCALL", "f2", "2", "a", "b"), c("FCALL", "nosuch", "0"), c("FUNCTION", "LIST"),
                c("FUNCTION", "DELETE", "lib2"), c("EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"));
    }

    @Test
    void keyCommandsDumpRestoreSortCopyMoveAndIntrospectionBehaveAsInRedis() throws IOException {
        km.rpush("list", "3", "1", "2");
        byte[] dump = km.dump("list");
        assertNotNull(dump);
        assertEquals("OK", km.restore("list2", 0, dump));
        assertEquals(List.of("3", "1", "2"), km.lrange("list2", 0, -1));
        RedisCommandExecutionException busy = assertThrows(RedisCommandExecutionException.class,
                () -> km.restore("list2", 0, dump));
        assertTrue(busy.getMessage().startsWith("BUSYKEY"), busy.getMessage());

        km.mset(Map.of("w_1", "30", "w_2", "10", "w_3", "20", "o_1", "one", "o_2", "two", "o_3", "three"));
        assertEquals(List.of("2", "3", "1"), km.sort("list", SortArgs.Builder.by("w_*")));
        assertEquals(3, km.sortStore("list", SortArgs.Builder.by("w_*").get("o_*"), "sorted"));
        assertEquals(List.of("two", "three", "one"), km.lrange("sorted", 0, -1));

        assertTrue(km.copy("sorted", "sorted-copy"));
        assertFalse(km.copy("sorted", "sorted-copy"), "COPY does not overwrite without REPLACE");
        assertEquals(List.of("two", "three", "one"), km.lrange("sorted-copy", 0, -1));
        assertTrue(km.move("sorted-copy", 1));
        assertEquals(0, km.exists("sorted-copy"));
        try (RespSocket db1 = fx.raw()) {
            assertEquals("OK", db1.call("SELECT", "1"));
            assertEquals(List.of("two", "three", "one"), db1.call("LRANGE", "sorted-copy", "0", "-1"));
            assertEquals("OK", db1.call("FLUSHDB"));
        }

        assertEquals("quicklist", km.objectEncoding("list"));   // Redis 7.0 lists are quicklists
        km.hset("smallhash", "f", "v");
        assertEquals("listpack", km.objectEncoding("smallhash"));
        km.set("int", "12345");
        assertEquals("int", km.objectEncoding("int"));
        Long usage = km.memoryUsage("list");
        assertNotNull(usage);
        assertTrue(usage > 0, "MEMORY USAGE: " + usage);
        assertEquals("list", km.type("list"));
        assertEquals("string", km.type("int"));
        assertEquals("none", km.type("nokey"));

        assertRepliesLikeRedis(
                c("RPUSH", "list", "3", "1", "2"), c("DUMP", "list"), c("DUMP", "nokey"),
                c("MSET", "w_1", "30", "w_2", "10", "w_3", "20", "o_1", "one", "o_2", "two", "o_3", "three"),
                c("SORT", "list"), c("SORT", "list", "DESC", "LIMIT", "0", "2"), c("SORT", "list", "BY", "w_*", "GET", "o_*", "GET", "#"),
                c("SORT", "list", "BY", "w_*", "GET", "o_*", "STORE", "sorted"), c("LRANGE", "sorted", "0", "-1"),
                c("SORT_RO", "list", "ALPHA"), c("COPY", "sorted", "c2"), c("COPY", "sorted", "c2"),
                c("COPY", "list", "c2", "REPLACE"), c("COPY", "list", "c3", "DB", "2"), c("MOVE", "c2", "1"),
                c("MOVE", "c2", "1"), c("EXISTS", "c2", "list"), c("OBJECT", "ENCODING", "list"),
                c("OBJECT", "ENCODING", "w_1"), c("OBJECT", "ENCODING", "nokey"), c("TYPE", "list"), c("TYPE", "nokey"),
                c("RENAME", "sorted", "sorted2"), c("RENAMENX", "sorted2", "list"), c("EXPIRE", "sorted2", "100"),
                c("TTL", "sorted2"), c("PERSIST", "sorted2"), c("TTL", "sorted2"), c("DEL", "sorted2", "nokey"),
                c("UNLINK", "w_1"), c("TOUCH", "w_2", "nokey"), c("DBSIZE"), c("KEYS", "o_1"), c("KEYS", "nomatch*"),
                c("SELECT", "2"), c("RANDOMKEY"), c("LRANGE", "c3", "0", "-1"), c("FLUSHDB"), c("DBSIZE"),
                c("RANDOMKEY"), c("SELECT", "0"), c("SCAN", "0", "MATCH", "nomatch*"), c("FLUSHALL"), c("DBSIZE"));
    }

    @Test
    void scanWithMatchAndCountVisitsEveryOneOfAThousandKeys() {
        Map<String, String> keys = new java.util.HashMap<>();
        for (int i = 0; i < 1000; i++) {
            keys.put("scan:" + i, Integer.toString(i));
        }
        km.mset(keys);
        km.set("other", "x");
        Set<String> seen = new HashSet<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        int rounds = 0;
        do {
            KeyScanCursor<String> page = km.scan(cursor, ScanArgs.Builder.matches("scan:*").limit(100));
            for (String key : page.getKeys()) {
                assertTrue(key.startsWith("scan:"), "SCAN MATCH returned " + key);
                seen.add(key);
            }
            cursor = page;
            rounds++;
            assertTrue(rounds < 1000, "SCAN does not terminate");
        } while (!cursor.isFinished());
        assertEquals(keys.keySet(), seen);
        assertTrue(rounds > 1, "COUNT 100 over 1001 keys takes several rounds, took " + rounds);

        assertEquals(1000, km.keys("scan:*").size());
        assertEquals(List.of("other"), km.keys("o*"));
        assertEquals(1001, km.dbsize());
        String random = km.randomkey();
        assertTrue(random.equals("other") || random.startsWith("scan:"), "RANDOMKEY: " + random);
        assertEquals("OK", km.flushdb());
        assertEquals(0, km.dbsize());
        assertNull(km.randomkey());
        km.set("again", "1");
        assertEquals("OK", km.flushall(FlushMode.SYNC));
        assertEquals(0, km.dbsize());
    }

    @Test
    void serverAndConnectionCommandsTimeEchoPingAndCommandIntrospectionAnswerAsRedis() throws IOException {
        List<String> time = km.time();
        assertEquals(2, time.size());
        long seconds = Long.parseLong(time.get(0));
        assertTrue(Math.abs(seconds - System.currentTimeMillis() / 1000) < 5, "TIME seconds: " + seconds);
        assertEquals("hello keymesh", km.echo("hello keymesh"));
        assertEquals("PONG", km.ping());
        assertEquals("ping-arg", call(keymesh, "PING", "ping-arg"));

        try (StatefulRedisConnection<String, String> direct = fx.connectDirect(ProtocolVersion.RESP2)) {
            assertEquals(direct.sync().commandCount(), km.commandCount());
            assertTrue(km.commandCount() > 200, "COMMAND COUNT: " + km.commandCount());
            List<Object> info = km.commandInfo("get");
            assertEquals(direct.sync().commandInfo("get"), info);
            assertEquals("get", ((List<?>) info.get(0)).get(0));
            Object docs = call(keymesh, "COMMAND", "DOCS", "set");
            assertEquals(call(direct, "COMMAND", "DOCS", "set"), docs);
            assertTrue(docs.toString().contains("summary") && docs.toString().contains("arguments"), "COMMAND DOCS set: " + docs);
            assertEquals(List.of("a", "b"), call(keymesh, "COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"));
            assertEquals(List.of("k1", "k2"), call(keymesh, "COMMAND", "GETKEYS", "EVAL", "return 1", "2", "k1", "k2", "x"));
        }

        assertRepliesLikeRedis(
                c("PING"), c("PING", "hi"), c("ECHO", "echo me"), c("COMMAND", "COUNT"), c("COMMAND", "INFO", "get"),
                c("COMMAND", "INFO", "get", "nosuchcommand", "client|kill"), c("COMMAND", "DOCS", "set"),
                c("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"), c("COMMAND", "GETKEYS", "GET"),
                c("COMMAND", "GETKEYSANDFLAGS", "LMOVE", "a", "b", "LEFT", "RIGHT"), c("COMMAND", "LIST", "FILTERBY", "PATTERN", "xautocl*"),
                c("ECHO"), c("PING", "a", "b"));
    }

    @Test
    void typedRepliesMatchTheDirectServerThroughLettuceInBothProtocols() {
        for (ProtocolVersion protocol : List.of(ProtocolVersion.RESP2, ProtocolVersion.RESP3)) {
            StatefulRedisConnection<String, String> k = fx.connect(protocol);
            StatefulRedisConnection<String, String> d = fx.connectDirect(protocol);
            List<Object> fromKeymesh = scenario(k.sync());
            List<Object> fromRedis = scenario(d.sync());
            assertEquals(fromRedis, fromKeymesh, "Lettuce " + protocol + " results");
        }
    }

    private static List<Object> scenario(RedisCommands<String, String> r) {
        List<Object> out = new ArrayList<>();
        r.flushdb();
        out.add(r.hset("th", Map.of("a", "1")));
        out.add(r.hgetall("th"));
        out.add(r.zadd("tz", 1.5, "m"));
        out.add(r.zrangeWithScores("tz", 0, -1));
        out.add(r.zscore("tz", "m"));
        out.add(r.sadd("ts", "1", "2"));
        out.add(r.smembers("ts"));
        out.add(r.incrbyfloat("tf", 0.25));
        out.add(r.xadd("tx", new io.lettuce.core.XAddArgs().id("5-5"), Map.of("k", "v")));
        out.add(r.xrange("tx", Range.create("-", "+")).toString());
        out.add(r.geoadd("tg", 1.0, 2.0, "p"));
        out.add(r.geopos("tg", "p").toString());
        out.add(r.eval("return {1, 'two', {3}}", ScriptOutputType.MULTI));
        out.add(r.exists("th", "tz", "none"));
        out.add(r.ttl("th"));
        out.add(r.objectEncoding("tz"));
        return out;
    }

    @Test
    void wrongTypeAndSyntaxErrorsCarryRedisText() {
        km.set("str", "x");
        RedisCommandExecutionException wrongType = assertThrows(RedisCommandExecutionException.class,
                () -> km.lpush("str", "a"));
        assertEquals("WRONGTYPE Operation against a key holding the wrong kind of value", wrongType.getMessage());
        RedisCommandExecutionException notInt = assertThrows(RedisCommandExecutionException.class, () -> km.incr("str"));
        assertEquals("ERR value is not an integer or out of range", notInt.getMessage());
        Object bad = assertThrows(RedisCommandExecutionException.class,
                () -> call(keymesh, "SET", "k", "v", "BADOPTION")).getMessage();
        assertEquals("ERR syntax error", bad);
        assertInstanceOf(String.class, km.get("str"));
        assertArrayEquals(new byte[] {'x'}, km.get("str").getBytes());
    }
}
