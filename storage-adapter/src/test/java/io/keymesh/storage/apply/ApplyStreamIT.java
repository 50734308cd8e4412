package io.keymesh.storage.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Streams merged per entry in real redis-servers: XADD, XDEL, XTRIM on several nodes, shipped in every order. */
class ApplyStreamIT extends ThreeNodeTest {
    /** The ID an XADD through km_w returned (a bulk reply). */
    private static String added(byte[] reply) {
        String s = str(reply);
        assertTrue(s.startsWith("$"), "XADD replied " + s);
        return s.substring(s.indexOf("\r\n") + 2, s.length() - 2);
    }

    @SuppressWarnings("unchecked")
    private static List<String> ids(Node n, String key) {
        List<String> out = new ArrayList<>();
        for (Object e : (List<Object>) n.conn.callParsed("XRANGE", key, "-", "+")) {
            out.add((String) ((List<Object>) e).get(0));
        }
        return out;
    }

    private static int compareIds(String x, String y) {
        String[] p = x.split("-");
        String[] q = y.split("-");
        int c = Long.compareUnsigned(Long.parseUnsignedLong(p[0]), Long.parseUnsignedLong(q[0]));
        return c != 0 ? c : Long.compareUnsigned(Long.parseUnsignedLong(p[1]), Long.parseUnsignedLong(q[1]));
    }

    @Test
    void starAddsOnTwoNodesAtOnceAllSurviveWithUniqueIdsInEveryArrivalOrder() {
        List<String> fromA = new ArrayList<>();
        List<String> fromB = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            fromA.add(added(a.w("XADD", "s", "*", "n", "a" + i)));
            fromB.add(added(b.w("XADD", "s", "*", "n", "b" + i)));
        }
        // each client sees its own node's IDs increase
        for (List<String> seen : List.of(fromA, fromB)) {
            for (int i = 1; i < seen.size(); i++) {
                assertTrue(compareIds(seen.get(i - 1), seen.get(i)) < 0, seen.toString());
            }
        }
        Set<String> all = new HashSet<>(fromA);
        all.addAll(fromB);
        assertEquals(6, all.size(), "no two nodes hand out the same ID: " + fromA + fromB);

        ship(a, b);
        ship(b, a);
        ship(b, c);     // c gets b's entries first, then a's (some of them below b's)
        ship(a, c);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        List<String> ids = ids(c, "s");
        assertEquals(all, new HashSet<>(ids));
        for (int i = 1; i < ids.size(); i++) {
            assertTrue(compareIds(ids.get(i - 1), ids.get(i)) < 0, ids.toString());
        }
        // a stream that took an entry in between still hands out IDs above all of its entries
        String next = added(c.w("XADD", "s", "*", "n", "c"));
        assertTrue(compareIds(ids.get(ids.size() - 1), next) < 0, next);
        assertEquals(7L, c.conn.callParsed("XLEN", "s"));
        assertEquals(List.of("length", 7L), ((List<?>) c.conn.callParsed("XINFO", "STREAM", "s")).subList(0, 2));
    }

    @Test
    void anEntryDeletedOnANodeThatHadNotYetGotItStaysDeletedWhenItArrives() {
        String id = added(a.w("XADD", "s", "*", "n", "1"));
        a.w("XADD", "s", "*", "n", "2");
        b.w("XADD", "s", "*", "n", "3");
        // a client read the entry on a and deletes it through b, which has not got it yet
        assertEquals(":0\r\n", str(b.w("XDEL", "s", id)));
        ship(b, a);
        ship(a, b);
        ship(a, c);
        ship(b, c);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        assertEquals(2L, a.conn.callParsed("XLEN", "s"));
        assertTrue(!ids(a, "s").contains(id));
    }

    @Test
    void aTrimIsAFloorThatDropsOlderEntriesWheneverTheyArrive() {
        for (int i = 0; i < 10; i++) {
            a.w("XADD", "s", "*", "n", "a" + i);
        }
        ship(a, b);
        // b adds two entries while a trims to 5 (the trim logs only its floor)
        b.w("XADD", "s", "*", "n", "b0");
        b.w("XADD", "s", "*", "n", "b1");
        assertEquals(":5\r\n", str(a.w("XTRIM", "s", "MAXLEN", "5")));
        a.w("XADD", "s", "MAXLEN", "~", "3", "*", "n", "a10");
        ship(b, a);
        ship(a, b);
        ship(a, c);
        ship(b, c);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        List<String> left = ids(a, "s");
        assertTrue(left.size() >= 3, left.toString());
        for (List<Object> e : a.log(a.origin)) {
            int trims = 0;
            for (Object f : (List<?>) e.get(1)) {
                if ("xt".equals(f) || "r".equals(f)) {
                    trims++;
                }
            }
            assertTrue(trims <= 1, "a trim logs its floor, never the stream: " + e);
        }
    }

    @Test
    void aTrimDropsOnlyEntriesOlderThanItselfBelowItsFloorWheneverTheyArrive() {
        a.w("XADD", "s", "5-1", "n", "old");
        a.w("XADD", "s", "9-1", "n", "kept");
        c.w("XADD", "s", "6-1", "n", "older");            // c's stamp is earlier than a's trim
        for (int i = 0; i < 5; i++) {
            a.w("SET", "clock", Integer.toString(i));
        }
        assertEquals(":1\r\n", str(a.w("XTRIM", "s", "MINID", "9")));
        for (int i = 0; i < 10; i++) {
            c.w("SET", "clock", Integer.toString(i));
        }
        c.w("XADD", "s", "7-1", "n", "later");             // later than the trim: it survives it, below its floor
        ship(a, b);
        ship(c, b);
        ship(c, a);
        ship(a, c);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        assertEquals(List.of("7-1", "9-1"), ids(a, "s"));
        // after a DEL and a FLUSHDB of a trimmed stream, explicit IDs below its old floor are fine
        a.w("DEL", "s");
        assertEquals("$3\r\n1-1\r\n", str(a.w("XADD", "s", "1-1", "n", "again")));
        ship(a, b);
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void aDeleteOfAStreamKeepsTheEntriesAddedLaterOnOtherNodesInBothOrders() {
        a.w("XADD", "s", "*", "n", "old");
        ship(a, b);
        b.w("DEL", "s");                                // earlier stamp
        a.w("SET", "x", "1");
        a.w("SET", "x", "2");
        String later = added(a.w("XADD", "s", "*", "n", "new"));   // later stamp than b's DEL
        ship(a, b);
        ship(b, a);
        ship(a, c);
        ship(b, c);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        assertEquals(List.of(later), ids(a, "s"));
    }

    @Test
    void explicitIdsWrittenOnTwoNodesKeepTheLaterWritesFields() {
        a.w("XADD", "s", "7-1", "n", "a");
        b.w("XADD", "s", "7-1", "n", "b");
        b.w("XADD", "s", "8-1", "n", "b8");
        ship(a, b);
        ship(b, a);
        assertEquals(a.digest(), b.digest());
        assertEquals(2L, a.conn.callParsed("XLEN", "s"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void anXaddOntoALongStreamLogsTheEntryNotTheStream() {
        // 100,000 entries built by the server itself (a data set loaded before keymesh)
        a.conn.callParsed("EVAL", "for i = 1, 100000 do redis.call('XADD', KEYS[1], '*', 'n', tostring(i)) end return 1", "1", "q");
        String value = "v".repeat(100);
        a.w("XADD", "q", "*", "payload", value);
        List<List<Object>> log = a.log(a.origin);
        List<Object> fields = (List<Object>) log.get(log.size() - 1).get(1);
        int bytes = 0;
        for (Object f : fields) {
            bytes += ((String) f).length();
        }
        assertTrue(bytes < 300, "the entry's log entry holds " + bytes + " bytes: " + fields);
        b.apply(a.origin, log);
        assertEquals(1L, b.conn.callParsed("XLEN", "q"));
        assertEquals(value, ((List<Object>) ((List<Object>) ((List<Object>) b.conn.callParsed("XRANGE", "q", "-", "+")).get(0)).get(1)).get(1));
    }

    @SuppressWarnings("unchecked")
    private static List<List<Object>> pending(Node n, String key, String group) {
        return (List<List<Object>>) (List<?>) n.conn.callParsed("XPENDING", key, group, "-", "+", "100");
    }

    @Test
    void groupsCreatedOnTwoNodesMergeAndTheirDeliveriesAcksAndClaimsConverge() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(added(a.w("XADD", "s", "*", "n", Integer.toString(i))));
        }
        ship(a, b);
        // every worker creates the group at start: on both nodes at once
        assertEquals("+OK\r\n", str(a.w("XGROUP", "CREATE", "s", "g", "0")));
        assertEquals("+OK\r\n", str(b.w("XGROUP", "CREATE", "s", "g", "0")));
        a.w("XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", ">");
        b.w("XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "s", ">");
        assertEquals(":1\r\n", str(a.w("XACK", "s", "g", ids.get(1))));
        meshAll(a, b, c);
        meshAll(a, b, c);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        // the first entry went to both consumers (at-least-once); the later delivery owns it; the acked one is gone
        List<List<Object>> p = pending(c, "s", "g");
        assertEquals(1, p.size(), p.toString());
        assertEquals(ids.get(0), p.get(0).get(0));
        assertTrue(c.digest().contains("last=" + ids.get(1)), c.digest());

        // a claim on one node and an autoclaim on another
        b.w("XCLAIM", "s", "g", "c3", "0", ids.get(0));
        a.w("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">");
        a.w("XAUTOCLAIM", "s", "g", "c4", "0", "0", "COUNT", "1");
        meshAll(a, b, c);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        assertTrue(c.digest().contains("last=" + ids.get(3)), c.digest());

        // destroyed on one node, everywhere
        assertEquals(":1\r\n", str(b.w("XGROUP", "DESTROY", "s", "g")));
        meshAll(a, b, c);
        assertEquals(a.digest(), c.digest());
        assertTrue(a.digest().contains("groups {}"), a.digest());
    }

    @Test
    void anEntryAddedElsewhereBelowAGroupsLastDeliveredIdBecomesPendingEverywhere() {
        a.w("XGROUP", "CREATE", "s", "g", "0", "MKSTREAM");
        meshAll(a, b);
        String fromB = added(b.w("XADD", "s", "*", "n", "b"));
        added(a.w("XADD", "s", "*", "n", "a1"));
        String last = added(a.w("XADD", "s", "*", "n", "a2"));
        assertTrue(compareIds(fromB, last) < 0, fromB + " " + last);
        // a's worker reads past the place b's entry will take
        a.w("XREADGROUP", "GROUP", "g", "w1", "STREAMS", "s", ">");
        ship(b, a);
        ship(a, b);
        assertEquals(a.digest(), b.digest());
        boolean stray = false;
        for (List<Object> row : pending(b, "s", "g")) {
            if (row.get(0).equals(fromB)) {
                assertEquals("keymesh", row.get(1));
                stray = true;
            }
        }
        assertTrue(stray, "b's entry is pending for XAUTOCLAIM: " + pending(b, "s", "g"));
        // a worker on b picks it up; the claim replicates
        b.w("XAUTOCLAIM", "s", "g", "w2", "0", "0");
        b.w("XACK", "s", "g", fromB);
        meshAll(a, b);
        assertEquals(a.digest(), b.digest());
        assertEquals(2, pending(a, "s", "g").size());
    }

    @Test
    void deliveriesThatArriveBeforeTheirGroupsCreateAreAppliedWhenItDoes() {
        String id = added(a.w("XADD", "s", "*", "n", "1"));
        a.w("XGROUP", "CREATE", "s", "g", "0");
        ship(a, b);
        // b delivers; c gets b's delivery before a's create
        b.w("XREADGROUP", "GROUP", "g", "w", "STREAMS", "s", ">");
        List<List<Object>> fromA = a.log(a.origin);
        c.apply(a.origin, fromA.subList(0, 1));            // the entry only
        ship(b, c);
        ship(a, c);                                         // then the create
        assertEquals(b.digest(), c.digest());
        assertEquals(id, pending(c, "s", "g").get(0).get(0));
        ship(b, a);
        assertEquals(a.digest(), c.digest());
    }
}
