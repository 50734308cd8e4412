package io.keymesh.topology.sim;

import io.keymesh.topology.link.BackendClient;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.RespError;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The clients' writes of one run and what merge.md says must survive of those acknowledged. Keys come
 * in classes: on {@code r*} only SETs (an LWW register: the acknowledged SET with the highest stamp
 * wins, every other is superseded), on {@code c*} only INCRBYs (a counter: every acknowledged
 * increment counts), on {@code h*} only HSETs (LWW per field), on {@code s*} only SADDs (every member
 * stays), on {@code l*} only pushes (every element stays, each once); and on {@code x*} any mix of
 * writes and deletes of one type, of which only convergence is checked. Every value written is unique.
 */
final class Workload {
    private final SplittableRandom random;
    private int written;
    private final Map<String, String[]> registers = new TreeMap<>();          // key -> {stamp, value}
    private final Map<String, Long> counters = new TreeMap<>();
    private final Map<String, Map<String, String[]>> hashes = new TreeMap<>(); // key -> field -> {stamp, value}
    private final Map<String, TreeSet<String>> sets = new TreeMap<>();
    private final Map<String, List<String>> lists = new TreeMap<>();
    private int acknowledged;

    Workload(SplittableRandom random) {
        this.random = random;
    }

    /** The next client request: one write, or now and then two to four as one MULTI/EXEC. */
    List<List<String>> next() {
        if (random.nextInt(12) > 0) {
            return List.of(write());
        }
        List<List<String>> transaction = new ArrayList<>();
        for (int i = 2 + random.nextInt(3); i > 0; i--) {
            transaction.add(write());
        }
        return transaction;
    }

    private List<String> write() {
        String v = "v" + written++;
        int k = random.nextInt(3);
        int p = random.nextInt(100);
        if (p < 22) {
            return List.of("SET", "r" + k, v);
        } else if (p < 36) {
            return List.of("INCRBY", "c" + k, Integer.toString(random.nextInt(15) - 5));
        } else if (p < 50) {
            return List.of("HSET", "h" + k, "f" + random.nextInt(4), v);
        } else if (p < 60) {
            return List.of("SADD", "s" + k, "m" + random.nextInt(30));
        } else if (p < 70) {
            return List.of(random.nextBoolean() ? "RPUSH" : "LPUSH", "l" + k, v);
        }
        return mixed(v);
    }

    private List<String> mixed(String v) {
        int q = random.nextInt(4);
        return switch (random.nextInt(4)) {
            case 0 -> List.of(new String[][] {{"SET", "xs", v}, {"INCRBY", "xc", "3"}, {"APPEND", "xs", v}, {"DEL", "xs", "xc"}}[q]);
            case 1 -> List.of(new String[][] {{"HSET", "xh", "f" + random.nextInt(3), v}, {"HDEL", "xh", "f" + random.nextInt(3)},
                    {"HINCRBY", "xh", "n", "2"}, {"DEL", "xh"}}[q]);
            case 2 -> List.of(new String[][] {{"SADD", "xt", "m" + random.nextInt(5)}, {"SREM", "xt", "m" + random.nextInt(5)},
                    {"SADD", "xt", "m" + random.nextInt(5), "m" + random.nextInt(5)}, {"DEL", "xt"}}[q]);
            default -> List.of(new String[][] {{"LPUSH", "xl", v}, {"RPOP", "xl"}, {"RPUSH", "xl", v, v + "b"}, {"LPOP", "xl"}}[q]);
        };
    }

    /** The node answered {@code command} (stamped {@code stamp}) with {@code reply}: an acknowledged write unless an error. */
    void answered(List<String> command, String stamp, Object reply) {
        if (reply instanceof RespError) {
            return;
        }
        acknowledged++;
        String key = command.get(1);
        switch (key.charAt(0)) {
            case 'r' -> registers.merge(key, new String[] {stamp, command.get(2)}, Workload::later);
            case 'c' -> counters.merge(key, Long.parseLong(command.get(2)), Long::sum);
            case 'h' -> hashes.computeIfAbsent(key, x -> new TreeMap<>())
                    .merge(command.get(2), new String[] {stamp, command.get(3)}, Workload::later);
            case 's' -> sets.computeIfAbsent(key, x -> new TreeSet<>()).add(command.get(2));
            case 'l' -> lists.computeIfAbsent(key, x -> new ArrayList<>()).add(command.get(2));
            default -> {
                // mixed keys: convergence only
            }
        }
    }

    private static String[] later(String[] a, String[] b) {
        return a[0].compareTo(b[0]) >= 0 ? a : b;
    }

    /** Writes acknowledged so far. */
    int acknowledged() {
        return acknowledged;
    }

    /** What of the acknowledged writes is missing from the node behind {@code data} (db 0 selected); empty when nothing. */
    List<String> lost(BackendClient data) throws IOException {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String[]> e : registers.entrySet()) {
            expect(problems, e.getKey() + " (last SET at " + e.getValue()[0] + ")", e.getValue()[1],
                    text(data.call("GET", e.getKey())));
        }
        for (Map.Entry<String, Long> e : counters.entrySet()) {
            expect(problems, e.getKey(), e.getValue().toString(), text(data.call("GET", e.getKey())));
        }
        for (Map.Entry<String, Map<String, String[]>> e : hashes.entrySet()) {
            TreeMap<String, String> want = new TreeMap<>();
            e.getValue().forEach((f, sv) -> want.put(f, sv[1]));
            List<String> flat = NodeDigest.texts(data.call("HGETALL", e.getKey()));
            TreeMap<String, String> got = new TreeMap<>();
            for (int i = 0; i + 1 < flat.size(); i += 2) {
                got.put(flat.get(i), flat.get(i + 1));
            }
            expect(problems, e.getKey(), want.toString(), got.toString());
        }
        for (Map.Entry<String, TreeSet<String>> e : sets.entrySet()) {
            expect(problems, e.getKey(), e.getValue().toString(), new TreeSet<>(NodeDigest.texts(data.call("SMEMBERS", e.getKey()))).toString());
        }
        for (Map.Entry<String, List<String>> e : lists.entrySet()) {
            List<String> want = new ArrayList<>(e.getValue());
            List<String> got = NodeDigest.texts(data.call("LRANGE", e.getKey(), "0", "-1"));
            want.sort(null);
            got.sort(null);
            expect(problems, e.getKey(), "elements " + want, "elements " + got);
        }
        return problems;
    }

    private static void expect(List<String> problems, String key, String want, String got) {
        if (!Objects.equals(want, got)) {
            problems.add(key + ": acknowledged writes say " + want + ", the mesh holds " + got);
        }
    }

    private static String text(Object reply) {
        return reply == null ? "(nil)" : Frames.text(reply);
    }
}
