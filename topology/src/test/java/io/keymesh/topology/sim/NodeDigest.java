package io.keymesh.topology.sim;

import io.keymesh.topology.link.BackendClient;
import io.keymesh.topology.wire.Frames;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Everything a client can see on one node: every key of every user database with its type, its
 * content in a canonical order (hash fields and set members sorted, lists and sorted sets in their
 * order) and its absolute expiry; one line per key. Read from the redis-server's user databases,
 * where metadata never is.
 */
final class NodeDigest {
    private NodeDigest() {
    }

    /** The digest of the node behind {@code data} (left with db 0 selected). */
    static String read(BackendClient data, int databases) throws IOException {
        StringBuilder out = new StringBuilder();
        for (int db = 0; db < databases; db++) {
            data.ok(List.of("SELECT", Integer.toString(db)));
            TreeSet<String> keys = new TreeSet<>();
            String cursor = "0";
            do {
                List<?> page = (List<?>) data.ok(List.of("SCAN", cursor, "COUNT", "1000"));
                cursor = Frames.text(page.get(0));
                for (Object k : (List<?>) page.get(1)) {
                    keys.add(Frames.text(k));
                }
            } while (!cursor.equals("0"));
            for (String key : keys) {
                String type = Frames.text(data.ok(List.of("TYPE", key)));
                Object content = switch (type) {
                    case "string" -> Frames.text(data.ok(List.of("GET", key)));
                    case "hash" -> pairs(data.ok(List.of("HGETALL", key)));
                    case "set" -> new TreeSet<>(texts(data.ok(List.of("SMEMBERS", key))));
                    case "zset" -> texts(data.ok(List.of("ZRANGE", key, "0", "-1", "WITHSCORES")));
                    case "list" -> texts(data.ok(List.of("LRANGE", key, "0", "-1")));
                    default -> type;
                };
                out.append("db").append(db).append(' ').append(key).append(' ').append(type).append(' ').append(content)
                        .append(" expires ").append(data.ok(List.of("PEXPIRETIME", key))).append('\n');
            }
        }
        data.ok(List.of("SELECT", "0"));
        return out.toString();
    }

    /** The first line where two digests differ, for a failure message. */
    static String firstDifference(String a, String b) {
        String[] x = a.split("\n", -1);
        String[] y = b.split("\n", -1);
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            String l = i < x.length ? x[i] : "(end)";
            String r = i < y.length ? y[i] : "(end)";
            if (!l.equals(r)) {
                return "'" + l + "' vs '" + r + "'";
            }
        }
        return "none";
    }

    /** The key of db 0 on the first line where two digests differ. */
    static String firstDifferentKey(String a, String b) {
        String[] x = a.split("\n", -1);
        String[] y = b.split("\n", -1);
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (!x[i].equals(y[i])) {
                String line = x[i].isEmpty() ? y[i] : x[i];
                String[] words = line.split(" ", 3);
                return words.length > 1 ? words[1] : "";
            }
        }
        return "";
    }

    /** km_dumpkey of {@code key} in user db 0 (its value and merge metadata), as text, for a failure message. */
    static String dump(BackendClient data, String key) throws IOException {
        Object reply = data.call("FCALL", "km_dumpkey", "0", Integer.toString(SimServers.DATABASES), "0", key);
        return reply instanceof List<?> l ? l.stream().map(o -> o instanceof byte[] b ? printable(b) : String.valueOf(o)).toList().toString()
                : String.valueOf(reply);
    }

    private static String printable(byte[] b) {
        StringBuilder out = new StringBuilder();
        for (byte c : b) {
            out.append(c >= 32 && c < 127 ? String.valueOf((char) c) : String.format("\\x%02x", c & 0xff));
        }
        return out.toString();
    }

    private static TreeMap<String, String> pairs(Object reply) {
        List<String> flat = texts(reply);
        TreeMap<String, String> m = new TreeMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            m.put(flat.get(i), flat.get(i + 1));
        }
        return m;
    }

    static List<String> texts(Object reply) {
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) reply) {
            out.add(Frames.text(o));
        }
        return out;
    }
}
