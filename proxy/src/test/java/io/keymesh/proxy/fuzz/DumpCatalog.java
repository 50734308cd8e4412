package io.keymesh.proxy.fuzz;

import io.keymesh.proxy.it.RespSocket;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Real DUMP payloads of every data type a snapshot carries (strings raw, integer and long; hashes,
 * sets, sorted sets and lists small and large, so of both encodings; an integer set; a stream),
 * made once by a plain redis-server of the same binary as the node's, each with its type and its
 * content as {@link #content} reads it, and the DUMP checksum ({@link #resign}) to build payloads
 * that are corrupt inside yet carry a right checksum.
 */
final class DumpCatalog {
    /** One value: its Redis type, its DUMP payload and its content. */
    record Value(String type, byte[] dump, String content) {
    }

    private final List<Value> values;

    private DumpCatalog(List<Value> values) {
        this.values = List.copyOf(values);
    }

    List<Value> values() {
        return values;
    }

    /** Builds the values in {@code redis} (a plain server: its keys are scratch). */
    static DumpCatalog make(RespSocket redis) throws IOException {
        List<List<String>> writes = new ArrayList<>();
        writes.add(List.of("SET", "k", "v-small"));
        writes.add(List.of("SET", "k", "123456"));
        writes.add(List.of("SET", "k", "x".repeat(5000)));
        writes.add(cmd("HSET", "k", 3, i -> List.of("f" + i, "v" + i)));
        writes.add(cmd("HSET", "k", 200, i -> List.of("field-" + i, "value-" + i + "-".repeat(i % 70))));
        writes.add(cmd("SADD", "k", 3, i -> List.of("m" + i)));
        writes.add(cmd("SADD", "k", 5, i -> List.of(Integer.toString(i * 7))));
        writes.add(cmd("SADD", "k", 200, i -> List.of("member-" + i)));
        writes.add(cmd("ZADD", "k", 3, i -> List.of(Integer.toString(i), "z" + i)));
        writes.add(cmd("ZADD", "k", 200, i -> List.of(i + ".5", "zmember-" + i + "-".repeat(i % 70))));
        writes.add(cmd("RPUSH", "k", 3, i -> List.of("e" + i)));
        writes.add(cmd("RPUSH", "k", 300, i -> List.of("element-" + i + "-".repeat(i % 90))));
        List<Value> out = new ArrayList<>();
        for (List<String> w : writes) {
            redis.call("DEL", "k");
            redis.call(w.toArray(new String[0]));
            out.add(value(redis));
        }
        redis.call("DEL", "k");
        for (int i = 1; i <= 3; i++) {
            redis.call("XADD", "k", i + "-1", "f", "v" + i, "g", "w" + i);
        }
        out.add(value(redis));
        redis.call("DEL", "k");
        return new DumpCatalog(out);
    }

    private static Value value(RespSocket redis) throws IOException {
        redis.send("DUMP", "k");
        byte[] dump = redis.readBulkBytes();
        if (!java.util.Arrays.equals(dump, resign(dump))) {
            throw new IOException("the checksum of a DUMP payload does not match this generator's CRC-64");
        }
        return new Value(String.valueOf(redis.call("TYPE", "k")), dump, content(redis, "k"));
    }

    private static List<String> cmd(String name, String key, int n, java.util.function.IntFunction<List<String>> item) {
        List<String> out = new ArrayList<>(List.of(name, key));
        for (int i = 0; i < n; i++) {
            out.addAll(item.apply(i));
        }
        return out;
    }

    /**
     * A key's type and content as a client reads it ({@code "none"} when absent): a string's value, a
     * hash's and a set's members sorted, a sorted set's members with scores and a list's and a
     * stream's entries in their order.
     */
    static String content(RespSocket c, String key) throws IOException {
        String type = String.valueOf(c.call("TYPE", key));
        Object v = switch (type) {
            case "none" -> "";
            case "string" -> c.call("GET", key);
            case "hash" -> sorted(pairs(c.call("HGETALL", key)));
            case "set" -> sorted(c.call("SMEMBERS", key));
            case "zset" -> c.call("ZRANGE", key, "0", "-1", "WITHSCORES");
            case "list" -> c.call("LRANGE", key, "0", "-1");
            case "stream" -> c.call("XRANGE", key, "-", "+");
            default -> "?";
        };
        return type + ":" + v;
    }

    private static List<String> pairs(Object reply) {
        List<String> out = new ArrayList<>();
        if (reply instanceof List<?> l) {
            for (int i = 0; i + 1 < l.size(); i += 2) {
                out.add(l.get(i) + "=" + l.get(i + 1));
            }
        } else if (reply instanceof java.util.Map<?, ?> m) {
            m.forEach((k, v) -> out.add(k + "=" + v));
        }
        return out;
    }

    private static List<String> sorted(Object reply) {
        List<String> out = new ArrayList<>();
        if (reply instanceof java.util.Collection<?> l) {
            l.forEach(o -> out.add(String.valueOf(o)));
        }
        java.util.Collections.sort(out);
        return out;
    }

    /** {@code dump} with its last 8 bytes replaced by the CRC-64 (Jones, reflected) Redis writes over the rest. */
    static byte[] resign(byte[] dump) {
        byte[] out = dump.clone();
        if (out.length < 10) {
            return out;
        }
        long crc = 0;
        for (int i = 0; i < out.length - 8; i++) {
            crc ^= out[i] & 0xff;
            for (int b = 0; b < 8; b++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x95AC9329AC4BC9B5L : crc >>> 1;
            }
        }
        for (int i = 0; i < 8; i++) {
            out[out.length - 8 + i] = (byte) (crc >>> (8 * i));
        }
        return out;
    }
}
