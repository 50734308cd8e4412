package io.keymesh.storage.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Counters (of a key, a hash field, a sorted-set score) merged from a snapshot that also carries a
 * removal older than some of its increments: the removal resets only the increments it had seen, on
 * a receiver that already had it and on one that gets it from the snapshot alone.
 */
class SnapshotCounterIT extends ThreeNodeTest {

    /** One counter: how to increment it, how to remove it (a key delete or a member removal), how a client reads it. */
    private record Counter(String name, BiConsumer<Node, Integer> incr, Consumer<Node> remove, Function<Node, Object> read) { }

    @Test
    void aKeyDeleteShippedInASnapshotKeepsTheIncrementsItHadNotSeen() {
        olderRemovalShippedInASnapshot(List.of(
                new Counter("xc", (n, by) -> n.w("INCRBY", "xc", by.toString()), n -> n.w("DEL", "xc"),
                        n -> n.conn.callParsed("GET", "xc"))));
    }

    @Test
    void aHashFieldRemovedInASnapshotKeepsTheIncrementsItHadNotSeen() {
        olderRemovalShippedInASnapshot(List.of(
                new Counter("hd", (n, by) -> n.w("HINCRBY", "hd", "f", by.toString()), n -> n.w("DEL", "hd"),
                        n -> n.conn.callParsed("HGET", "hd", "f")),
                new Counter("hf", (n, by) -> n.w("HINCRBY", "hf", "f", by.toString()), n -> n.w("HDEL", "hf", "f"),
                        n -> n.conn.callParsed("HGET", "hf", "f"))));
    }

    @Test
    void aSortedSetScoreRemovedInASnapshotKeepsTheIncrementsItHadNotSeen() {
        olderRemovalShippedInASnapshot(List.of(
                new Counter("zd", (n, by) -> n.w("ZINCRBY", "zd", by.toString(), "m"), n -> n.w("DEL", "zd"),
                        n -> n.conn.callParsed("ZSCORE", "zd", "m")),
                new Counter("zr", (n, by) -> n.w("ZINCRBY", "zr", by.toString(), "m"), n -> n.w("ZREM", "zr", "m"),
                        n -> n.conn.callParsed("ZSCORE", "zr", "m"))));
    }

    /**
     * a increments each counter by 3 twice; b, whose clock is behind and which has seen nothing of a,
     * increments it by 1 and removes it (the removal has seen b's 1 only); a applies b's log and
     * increments by 3 again: 9 on a. Then c, which never read b's log, and d, which did, merge a's
     * snapshot: 9 on both. After one more increment on a and every log shipped everywhere: 12 on every
     * node, and identical digests.
     */
    private void olderRemovalShippedInASnapshot(List<Counter> counters) {
        Node d = node("d", "dddddddd");
        a.observe(100);
        for (Counter k : counters) {
            k.incr().accept(a, 3);
            k.incr().accept(a, 3);
            k.incr().accept(b, 1);
            k.remove().accept(b);
        }
        ship(b, a);
        ship(b, d);
        for (Counter k : counters) {
            k.incr().accept(a, 3);
            assertEquals("9", k.read().apply(a), k.name() + " on a");
        }
        List<String> keys = counters.stream().map(Counter::name).toList();
        c.mergeKeys(a, 0, keys);
        d.mergeKeys(a, 0, keys);
        for (Counter k : counters) {
            assertEquals("9", k.read().apply(c), k.name() + " on c, which has b's removal from a's snapshot only");
            assertEquals("9", k.read().apply(d), k.name() + " on d, which had b's removal from b's log");
            k.incr().accept(a, 3);
        }
        for (Node from : new Node[] {a, b, c, d}) {
            for (Node to : new Node[] {a, b, c, d}) {
                if (from != to) {
                    ship(from, to);
                }
            }
        }
        for (Node n : new Node[] {a, b, c, d}) {
            for (Counter k : counters) {
                assertEquals("12", k.read().apply(n), k.name() + " on " + n.origin);
            }
            assertEquals(a.digest(), n.digest(), n.origin);
        }
    }
}
