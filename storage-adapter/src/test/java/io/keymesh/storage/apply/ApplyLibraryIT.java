package io.keymesh.storage.apply;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The apply library in three real redis-servers: local writes, shipping entries, convergence. */
@SuppressWarnings("unchecked")
class ApplyLibraryIT extends ThreeNodeTest {
    @Test
    void loadedLibraryReportsItsVersion() {
        assertEquals(ApplyLibrary.version(), a.conn.callParsed("FCALL", "km_version", "0"));
        assertEquals(12, ApplyLibrary.version().length());
    }

    @Test
    void counterIncrementsOnTwoNodesAfterReplicatedSetGiveThree() {
        a.w("SET", "k", "1");
        ship(a, b);
        ship(a, c);
        b.w("INCR", "k");
        c.w("INCR", "k");
        meshAll(a, b, c);
        for (Node n : new Node[] {a, b, c}) {
            assertEquals("3", n.conn.callParsed("GET", "k"));
        }
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
    }

    @Test
    void counterKeepsIncrementsOfBothSidesOfAPartition() {
        a.w("SET", "k", "1");
        ship(a, b);
        a.w("INCR", "k");
        a.w("INCRBY", "k", "2");
        b.w("INCR", "k");
        ship(b, a);
        ship(a, b);
        assertEquals("5", a.conn.callParsed("GET", "k"));
        assertEquals("5", b.conn.callParsed("GET", "k"));
        // a later SET resets only what it has seen; a concurrent DECR on the other side still counts
        a.w("SET", "k", "10");
        b.w("DECR", "k");
        meshAll(a, b);
        assertEquals("9", a.conn.callParsed("GET", "k"));
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void laterWriteWinsBetweenDeleteAndSetInBothOrders() {
        a.w("SET", "k", "old");
        a.w("SET", "j", "old");
        meshAll(a, b);
        // DEL on A, later SET on B (B's clock is ahead)
        a.w("DEL", "k");
        b.observe(a.clock() + 5);
        b.w("SET", "k", "new");
        // SET on B, later DEL on A
        b.w("SET", "j", "mid");
        a.observe(b.clock() + 5);
        a.w("DEL", "j");
        ship(b, a);
        ship(a, b);
        ship(a, b);
        for (Node n : new Node[] {a, b}) {
            assertEquals("new", n.conn.callParsed("GET", "k"));
            assertNull(n.conn.callParsed("GET", "j"));
        }
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void deletedKeyDoesNotComeBackFromAnOlderWriteArrivingLate() {
        c.w("SET", "k", "stale");
        a.observe(c.clock() + 5);
        a.w("SET", "k", "v");
        a.w("DEL", "k");
        ship(a, b);
        ship(c, b);
        ship(c, a);
        assertNull(a.conn.callParsed("GET", "k"));
        assertNull(b.conn.callParsed("GET", "k"));
    }

    @Test
    void hashFieldsWrittenOnBothSidesOfAPartitionAreAllKept() {
        a.w("HSET", "h", "a", "1");
        b.w("HSET", "h", "b", "2");
        meshAll(a, b, c);
        for (Node n : new Node[] {a, b, c}) {
            assertEquals("1", n.conn.callParsed("HGET", "h", "a"));
            assertEquals("2", n.conn.callParsed("HGET", "h", "b"));
        }
        // HDEL of one field on A and a later HSET of another field on B: both effects stay
        a.w("HDEL", "h", "a");
        b.observe(a.clock() + 5);
        b.w("HSET", "h", "c", "3");
        // a whole-key DEL on C older than B's write removes only what came before it
        c.observe(a.clock() + 1);
        c.w("DEL", "h");
        meshAll(b, c, a);
        meshAll(a, b, c);
        for (Node n : new Node[] {a, b, c}) {
            assertEquals(List.of("c", "3"), n.conn.callParsed("HGETALL", "h"));
        }
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
    }

    @Test
    void hashFieldIncrementsOnBothSidesOfAPartitionAllCount() {
        a.w("HSET", "h", "f", "1");
        meshAll(a, b);
        // partition
        a.w("HINCRBY", "h", "f", "2");
        b.w("HINCRBY", "h", "f", "3");
        b.w("HINCRBYFLOAT", "h", "g", "0.5");
        a.w("HINCRBYFLOAT", "h", "g", "1.25");
        meshAll(a, b);
        for (Node n : new Node[] {a, b}) {
            assertEquals("6", n.conn.callParsed("HGET", "h", "f"));
            assertEquals("1.75", n.conn.callParsed("HGET", "h", "g"));
        }
        // an HSET resets the increments it has seen; a concurrent unseen one still counts
        a.w("HSET", "h", "f", "10");
        b.w("HINCRBY", "h", "f", "-1");
        meshAll(b, a);
        meshAll(a, b);
        assertEquals("9", a.conn.callParsed("HGET", "h", "f"));
        // a whole-key DEL resets what it has seen, a concurrent increment survives it
        a.w("DEL", "h");
        b.w("HINCRBY", "h", "f", "4");
        meshAll(a, b, c);
        for (Node n : new Node[] {a, b, c}) {
            assertEquals(List.of("f", "4"), n.conn.callParsed("HGETALL", "h"));
        }
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
    }

    @Test
    void sortedSetScoreIncrementsOnBothSidesOfAPartitionAllCount() {
        a.w("ZADD", "z", "1", "m");
        meshAll(a, b);
        a.w("ZINCRBY", "z", "2", "m");
        b.w("ZINCRBY", "z", "3", "m");
        b.w("ZINCRBY", "z", "5", "n");
        meshAll(a, b);
        for (Node n : new Node[] {a, b}) {
            assertEquals(List.of("n", "5", "m", "6"), n.conn.callParsed("ZRANGE", "z", "0", "-1", "WITHSCORES"));
        }
        // ZADD of the member resets only the increments it saw
        a.w("ZADD", "z", "0", "m");
        b.w("ZINCRBY", "z", "1", "m");
        meshAll(b, a, c);
        meshAll(a, b, c);
        for (Node n : new Node[] {a, b, c}) {
            assertEquals("1", n.conn.callParsed("ZSCORE", "z", "m"));
        }
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
    }

    @Test
    void setAndSortedSetMembersMergeOneByOne() {
        a.w("SADD", "s", "a", "b");
        a.w("ZADD", "z", "1", "m1", "2", "m2");
        meshAll(a, b);
        // partition: A removes a; B adds c, removes a and (later than A) adds a back
        a.w("SREM", "s", "a");
        b.w("SADD", "s", "c");
        b.w("SREM", "s", "a");
        b.observe(a.clock() + 5);
        b.w("SADD", "s", "a");
        // A removes m2 and B raises m1's score
        a.w("ZREM", "z", "m2");
        b.w("ZADD", "z", "5", "m1");
        b.w("SMOVE", "s", "t", "b");
        meshAll(a, b, c);
        for (Node n : new Node[] {a, b, c}) {
            assertEquals(List.of("a", "c"), new java.util.TreeSet<>((List<?>) n.conn.callParsed("SMEMBERS", "s")).stream().toList());
            assertEquals(List.of("b"), n.conn.callParsed("SMEMBERS", "t"));
            assertEquals(List.of("m1", "5"), n.conn.callParsed("ZRANGE", "z", "0", "-1", "WITHSCORES"));
        }
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
    }

    @Test
    void localWriteWithAStaleStampStillWinsEverywhere() {
        b.observe(1000);
        b.w("SET", "k", "from-b");
        b.w("HSET", "h", "f", "from-b");
        ship(b, a);
        a.w("SET", "k", "from-a"); // a's clock is far behind b's stamp
        a.w("HSET", "h", "f", "from-a");
        ship(a, b);
        for (Node n : new Node[] {a, b}) {
            assertEquals("from-a", n.conn.callParsed("GET", "k"));
            assertEquals("from-a", n.conn.callParsed("HGET", "h", "f"));
        }
        assertEquals(a.digest(), b.digest());
    }

    /** Writes, on {@code n}, keys whose metadata holds more than a register stamp: an expiry (ttl), members (hash), a tombstone (gone). */
    private static void keysWithMoreThanAStamp(Node n) {
        n.w("SET", "ttl", "b", "PX", "3600000");
        n.w("HSET", "hash", "f", "b");
        n.w("SET", "gone", "b");
        n.w("DEL", "gone");
    }

    @Test
    void aBatchOfPlainSetsMergesKeyByKeyLikeSingleEntries() {
        keysWithMoreThanAStamp(b);                    // keys the receiver already holds
        ship(b, a);
        for (int i = 0; i < 5; i++) {
            a.w("SET", "k" + i, "a" + i);
        }
        a.w("SET", "k1", "a1-again");                // the same key twice in one run
        a.w("SET", "ttl", "a");
        a.w("SET", "hash", "a");
        a.w("SET", "gone", "a");
        a.w("SET", "k2", "a2-again");
        b.observe(a.clock());
        b.w("SET", "k3", "b-later");                 // concurrent, later than a's k3: b's value wins on both
        ship(a, b);
        ship(b, a);
        assertEquals(a.digest(), b.digest());
        for (Node n : new Node[] {a, b}) {
            assertEquals("a1-again", n.conn.callParsed("GET", "k1"));
            assertEquals("a2-again", n.conn.callParsed("GET", "k2"));
            assertEquals("b-later", n.conn.callParsed("GET", "k3"));
            assertEquals("a", n.conn.callParsed("GET", "ttl"));
            assertEquals(-1L, n.conn.callParsed("PTTL", "ttl"), "a later plain SET drops the expiry");
            assertEquals("a", n.conn.callParsed("GET", "hash"));
            assertEquals("a", n.conn.callParsed("GET", "gone"));
        }
        // resent whole, the batch changes nothing
        String before = b.digest();
        ship(a, b);
        assertEquals(before, b.digest());
    }

    @Test
    void plainSetsOlderThanAFlushAreDropped() {
        a.w("SET", "k", "old");
        b.observe(1000);
        b.w("FLUSHALL");
        ship(b, a);
        b.w("SET", "k2", "after");
        ship(a, b);                                  // a's SET is older than b's flush
        assertEquals(null, b.conn.callParsed("GET", "k"));
        assertEquals(null, a.conn.callParsed("GET", "k"));
        ship(b, a);
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void incrementsMadeBeforeTheirNodeAppliedAFlushGoWithItOnEveryNode() {
        for (int i = 0; i < 3; i++) {
            b.w("INCR", "k");                        // b's total: 3
        }
        a.observe(100);
        a.w("FLUSHDB");                              // later than b's increments
        b.observe(a.clock());                        // b's next stamps are later than the flush,
        b.w("DEL", "k");                             // but b has not applied it yet: its total still
        b.w("DECR", "k");                            // counts from before it, 3 then 2
        ship(b, a);
        ship(a, b);
        for (Node n : new Node[] {a, b}) {
            assertEquals(null, n.conn.callParsed("GET", "k"), n.origin + ": the flush wiped b's total");
        }
        assertEquals(a.digest(), b.digest());

        // counted from the flush on, b's increments count everywhere
        b.w("INCRBY", "k", "5");
        ship(b, a);
        assertEquals("5", a.conn.callParsed("GET", "k"));
        assertEquals("5", b.conn.callParsed("GET", "k"));
    }

    @Test
    void memberIncrementsMadeBeforeTheirNodeAppliedAFlushGoWithIt() {
        b.w("HINCRBY", "h", "f", "4");
        a.observe(100);
        a.w("FLUSHDB");
        b.observe(a.clock());
        b.w("HSET", "h", "g", "1");                  // after the flush by stamp, so g stays
        b.w("HINCRBY", "h", "f", "1");               // b's total for f: 5, counted from before it
        ship(b, a);
        ship(a, b);
        for (Node n : new Node[] {a, b}) {
            assertEquals(null, n.conn.callParsed("HGET", "h", "f"), n.origin);
            assertEquals("1", n.conn.callParsed("HGET", "h", "g"), n.origin);
        }
        assertEquals(a.digest(), b.digest());
        b.w("HINCRBY", "h", "f", "2");
        ship(b, a);
        assertEquals("2", a.conn.callParsed("HGET", "h", "f"));
        assertEquals(a.digest(), b.digest());
    }

    /** How often {@code n}'s redis-server ran {@code command} (from scripts too): its INFO commandstats calls. */
    private static long calls(Node n, String command) {
        String info = (String) n.conn.callParsed("INFO", "commandstats");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("cmdstat_" + command + ":calls=(\\d+)").matcher(info);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** b: 1200 strings, a hash, a set and a counter, all written before a's flush; shipped to c too. */
    private void olderKeysOnB() {
        for (int run = 0; run < 4; run++) {
            String[] kv = new String[2 * 300];
            for (int i = 0; i < 300; i++) {
                kv[2 * i] = "old:" + run + ":" + i;
                kv[2 * i + 1] = "v";
            }
            b.ws(0, kv);
        }
        b.w("HSET", "h", "old", "1");
        b.w("SADD", "s", "x");
        b.w("INCRBY", "n", "7");
        b.w("PEXPIREAT", "s", Long.toString(System.currentTimeMillis() + 3_600_000));
        ship(b, c);
    }

    /** a flushes later than all of olderKeysOnB; then b writes, later than the flush by stamp, before it arrives. */
    private void flushOnAThenLaterWritesOnB() {
        a.observe(b.clock());
        a.w("FLUSHDB");
        b.observe(a.clock());
        b.w("SET", "late", "1");
        b.w("HSET", "h", "new", "2");
        b.w("INCRBY", "n", "2");                     // counted from before the flush: goes with it
        b.w("SET", "old:0:0", "rewritten");
    }

    @Test
    void aRemoteFlushTakesTheKeysToKeepFromTheLogsSinceAMarkWithoutScanning() {
        olderKeysOnB();
        b.mark();                                    // every entry so far is older than this reading
        c.mark();
        flushOnAThenLaterWritesOnB();
        ship(b, c);                                  // c: the same history, read from b's log
        long keysOnB = calls(b, "keys");
        ship(a, b);
        ship(a, c);
        assertEquals("1", b.flushPaths().get("logged"), "b found what to keep in its logs");
        assertEquals(keysOnB, calls(b, "keys"), "b did not scan its databases");
        assertEquals("1", c.flushPaths().get("logged"), "c too, with b's entries in its copy of b's log");
        assertEquals("1", b.conn.callParsed("GET", "late"));
        assertEquals("rewritten", b.conn.callParsed("GET", "old:0:0"));
        assertEquals(List.of("new", "2"), b.conn.callParsed("HGETALL", "h"));
        assertNull(b.conn.callParsed("GET", "n"), "increments counted from before the flush go with it");
        assertNull(b.conn.callParsed("GET", "old:0:1"));
        assertEquals(0L, b.conn.callParsed("EXISTS", "s"));
        assertEquals(3L, b.conn.callParsed("DBSIZE"));
        b.conn.callParsed("SELECT", Node.N);
        assertEquals(0L, b.conn.callParsed("EXISTS", "old:0:1", "old:3:299", "s"), "metadata of the flushed keys is gone too");
        assertEquals(1L, b.conn.callParsed("EXISTS", "late"));
        b.conn.callParsed("SELECT", 0);
        ship(b, a);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());

        // and what survived goes on merging: b's counter starts a new total, a's later write wins
        b.w("INCRBY", "n", "3");
        a.observe(b.clock());
        a.w("HSET", "h", "new", "9");
        meshAll(a, b, c);
        for (Node n : new Node[] {a, b, c}) {
            assertEquals("3", n.conn.callParsed("GET", "n"), n.origin);
            assertEquals("9", n.conn.callParsed("HGET", "h", "new"), n.origin);
        }
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
    }

    @Test
    void aRemoteFlushTheLogsCannotVouchForGoesOverTheDbAheadInShortSteps() {
        olderKeysOnB();
        flushOnAThenLaterWritesOnB();
        ship(b, c);
        // b: its only mark's reading is later than the flush; c: it has never marked
        b.mark();
        long keysOnB = calls(b, "keys");
        long scansOnB = calls(b, "scan");
        ship(a, b);
        ship(a, c);
        assertEquals("1", b.flushPaths().get("ahead"));
        assertEquals("1", b.flushPaths().get("scanned:no-mark"), "why the logs could not say what to keep");
        assertNull(b.flushPaths().get("scanned"), "no call scanned the db whole");
        assertEquals(keysOnB, calls(b, "keys"));
        assertTrue(calls(b, "scan") - scansOnB >= 1200 / 1000, "b went over its db in SCAN steps");
        assertEquals("1", c.flushPaths().get("ahead"));
        ship(b, a);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        assertEquals(3L, b.conn.callParsed("DBSIZE"));
        assertEquals("1", b.conn.callParsed("GET", "late"));
        assertEquals("rewritten", b.conn.callParsed("GET", "old:0:0"));
        assertNull(b.conn.callParsed("GET", "n"), "increments counted from before the flush go with it");
        b.conn.callParsed("SELECT", 2 * Node.N);
        assertEquals(List.of(), b.conn.callParsed("KEYS", "km:fscan:*"), "the scan's state goes with the flush");
        b.conn.callParsed("SELECT", 0);

        // a log trimmed past the mark: a second flush goes over the db ahead too
        Node d = node("d", "dddddddd");
        d.w("SET", "x", "1");
        d.mark();
        d.w("SET", "y", "1");
        d.conn.callParsed("FCALL", "km_trim", "0", Node.N, d.origin, 2);
        a.observe(d.clock());
        a.w("FLUSHDB");
        ship(a, d);
        // (both of a's flushes reach d, the first one older than d's mark too)
        assertTrue(d.flushPaths().containsKey("scanned:log-gap"), "the log no longer holds the entry after the mark");
        assertEquals("2", d.flushPaths().get("ahead"));
        assertNull(d.flushPaths().get("scanned"));
        assertEquals(0L, d.conn.callParsed("DBSIZE"));

        // a snapshot merged a stamp later than the flush into the db: the same
        Node e = node("e", "eeeeeeee");
        e.mark();
        Node f = node("f", "ffffffff");
        f.observe(a.clock() + 10);
        f.w("SET", "from-snapshot", "1");
        e.mergeKeys(f, 0, List.of("from-snapshot"));
        a.observe(e.clock());
        a.w("FLUSHDB");
        ship(a, e);
        assertTrue(e.flushPaths().containsKey("scanned:snapshot"), "a snapshot key later than the flush is in no log here");
        assertNull(e.flushPaths().get("scanned"));
        assertEquals("1", e.conn.callParsed("GET", "from-snapshot"), "and it survives the flush");
    }

    @Test
    void whatRunsBetweenTheStepsOfAScanAheadEndsAsIfItRanAroundAFlushInOneCall() {
        olderKeysOnB();
        Node d = node("d", "dddddddd");
        d.w("SET", "d-older", "1");                  // earlier than the flush, reaches b mid-scan
        flushOnAThenLaterWritesOnB();
        ship(b, c);
        // b goes over its db a key per step; between steps its clients write, and d's older entries arrive
        b.scanStep = 1;
        int[] step = {0};
        Object[] dOlderNextStep = {"not looked at"};
        b.betweenScanSteps = () -> {
            int i = step[0]++;
            if (i == 5) {
                ship(d, b);
            } else if (i == 6) {
                // each step also applies the flush to the keys logged since the step before
                dOlderNextStep[0] = b.conn.callParsed("GET", "d-older");
            } else if (i % 100 == 0) {
                b.w("SET", "during:" + i, "1");      // a new key, later than the flush
                b.w("INCR", "count:" + i);           // counted before b applied the flush
                b.w("HSET", "h", "during", Integer.toString(i));
                b.w("SET", "old:1:" + i, "again");   // an old key written over, maybe scanned already
            }
        };
        ship(a, b);
        assertTrue(step[0] > 600, "about one step per key: " + step[0]);
        assertEquals("1", b.flushPaths().get("ahead"));
        assertNull(b.conn.callParsed("GET", "d-older"), "d's write was older than the flush");
        assertNull(dOlderNextStep[0], "the step after d's write arrived applied the flush to it");
        assertEquals("1", b.conn.callParsed("GET", "during:100"));
        assertNull(b.conn.callParsed("GET", "count:100"), "an increment b counted before it applied the flush goes with it");
        assertEquals(Integer.toString((step[0] - 1) / 100 * 100), b.conn.callParsed("HGET", "h", "during"));
        assertEquals("again", b.conn.callParsed("GET", "old:1:100"));
        assertNull(b.conn.callParsed("GET", "old:1:101"));
        assertEquals("1", b.conn.callParsed("GET", "late"));
        ship(a, c);
        ship(d, c);
        meshAll(a, b, c, d);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        assertEquals(a.digest(), d.digest());
        assertEquals("1", c.flushPaths().get("ahead"), "c went over its db in one step per 1000 keys, nothing between");
    }

    @Test
    void aTransactionHoldingAFlushWaitsWholeForTheScanAhead() {
        olderKeysOnB();
        a.observe(b.clock());
        for (Object[] cmd : new Object[][] {{"SET", "m1", "v"}, {"FLUSHDB"}, {"SET", "m2", "v"}}) {
            a.conn.callParsed(a.withTxn(a.kmw(0, 2, a.stamp(), cmd), "90"));
        }
        assertNull(a.conn.callParsed("GET", "m1"));
        assertEquals("v", a.conn.callParsed("GET", "m2"));
        // b has never marked: it goes over its db ahead of the flush; the SET before the flush, in the
        // same transaction, must not show meanwhile
        List<Object> seen = new ArrayList<>();
        b.scanStep = 1;
        b.betweenScanSteps = () -> seen.add(b.conn.callParsed("GET", "m1"));
        ship(a, b);
        assertEquals("1", b.flushPaths().get("ahead"));
        assertFalse(seen.isEmpty());
        assertEquals(0L, seen.stream().filter(java.util.Objects::nonNull).count(),
                "steps (of " + seen.size() + ") during which m1 showed before its transaction applied");
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void aScanAheadThatSnapshotsKeepOvertakingEndsInOneCallThatScans() {
        olderKeysOnB();
        Node f = node("f", "ffffffff");
        f.w("SET", "snap", "1");                     // earlier than the flush
        flushOnAThenLaterWritesOnB();
        // a snapshot key merged during every scan ahead: none can vouch for what it passed
        b.betweenScanSteps = () -> b.mergeKeys(f, 0, List.of("snap"));
        long keysOnB = calls(b, "keys");
        ship(a, b);
        assertEquals("1", b.flushPaths().get("scanned"), "after three scans ahead, one call scans");
        assertNull(b.flushPaths().get("ahead"));
        assertTrue(calls(b, "keys") > keysOnB);
        b.conn.callParsed("SELECT", 2 * Node.N);
        assertEquals(List.of(), b.conn.callParsed("KEYS", "km:fscan:*"), "the state of the scans ahead goes with the flush");
        b.conn.callParsed("SELECT", 0);
        b.betweenScanSteps = () -> { };
        ship(b, a);
        ship(f, a);
        ship(f, b);
        assertEquals(a.digest(), b.digest());
        assertNull(b.conn.callParsed("GET", "snap"), "f's write was older than the flush");
    }

    @Test
    void writesThatRanAfterALocalFlushWithEarlierStampsStayOnEveryNode() {
        b.w("SET", "x", "1");
        ship(b, a);
        long before = a.clock();
        a.observe(before + 5);
        a.w("FLUSHDB");
        // stamps taken before the flush's, on other connections, that reached the backend after it
        a.rewind(before);
        assertEquals(List.of("OK"), a.ws(0, "k", "v"));
        a.w("HSET", "h", "f", "1");
        a.w("INCR", "n");
        assertEquals("v", a.conn.callParsed("GET", "k"));
        ship(a, b);
        for (Node n : new Node[] {a, b}) {
            assertNull(n.conn.callParsed("GET", "x"), n.origin + ": the flush wiped x");
            assertEquals("v", n.conn.callParsed("GET", "k"), n.origin + ": the SET ran after the flush");
            assertEquals("1", n.conn.callParsed("HGET", "h", "f"), n.origin);
            assertEquals("1", n.conn.callParsed("GET", "n"), n.origin);
        }
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void aWriteThatRanBeforeALocalFlushWithALaterStampSurvivesItOnEveryNode() {
        a.w("SET", "x", "1");
        ship(a, b);
        a.mark();                                    // both flushes find k in the logs: on a in its
        b.mark();                                    // own, on b among the entries of the same call
        long before = a.clock();
        a.observe(before + 5);
        a.w("SET", "k", "v");                        // its stamp is later than the flush's below,
        a.rewind(before);                            // taken first on another connection
        a.w("FLUSHDB");
        ship(a, b);
        for (Node n : new Node[] {a, b}) {
            assertNull(n.conn.callParsed("GET", "x"), n.origin);
            assertEquals("v", n.conn.callParsed("GET", "k"), n.origin + ": later than the flush by stamp");
            assertEquals("1", n.flushPaths().get("logged"), n.origin);
        }
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void aWholeKeyWriteThatRanAfterAMemberWriteWithALaterStampWipesItOnEveryNode() {
        a.w("HSET", "h", "g", "0");                  // keys that exist: a new member leaves their
        a.w("SADD", "s", "y");                       // key-level stamps as they are
        long before = a.clock();
        a.observe(before + 5);
        a.w("HSET", "h", "f", "1");                  // the later stamp, but it ran first
        a.rewind(before);
        a.w("DEL", "h");                             // the earlier stamp, run after it
        a.observe(before + 20);
        a.w("SADD", "s", "x");
        a.rewind(before + 10);
        assertEquals(List.of("OK"), a.ws(0, "s", "v"));   // a plain SET over the set, the same way
        ship(a, b);
        for (Node n : new Node[] {a, b}) {
            assertEquals(0L, n.conn.callParsed("EXISTS", "h"), n.origin + ": the DEL ran after the HSET");
            assertEquals("v", n.conn.callParsed("GET", "s"), n.origin + ": the SET ran after the SADD");
        }
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void transactionEntriesCarryTheirTxnIdAndApplyAsOneBatch() {
        for (int i = 0; i < 2; i++) {
            a.conn.callParsed(a.withTxn(a.kmw(0, 2, a.stamp(), "INCR", "c"), "77"));
        }
        a.w("SET", "plain", "v");
        List<List<Object>> log = a.log(a.origin);
        assertEquals(List.of("t", "x", "k", "i", "e"), fieldNames(log.get(0)), "creating c also says: no expiry");
        assertEquals(List.of("t", "x", "k", "i"), fieldNames(log.get(1)));
        assertEquals("77", ((List<?>) log.get(1).get(1)).get(3));
        assertEquals(List.of("t", "k", "s"), fieldNames(log.get(2)), "no x outside MULTI");
        assertEquals(2L, b.apply(a.origin, log.subList(0, 2)));
        assertEquals("2", b.conn.callParsed("GET", "c"));
    }

    @Test
    void plainSetsInATransactionAndInAnotherDbLogWhatTheyNeedAndReplicate() {
        a.w("SET", "k0", "v0");
        a.conn.callParsed(a.withTxn(a.kmw(0, 2, a.stamp(), "SET", "kx", "vx"), "78"));
        a.wDb(1, 2, "set", "k1", "v1");              // lower-case, as some clients send it
        List<List<Object>> log = a.log(a.origin);
        assertEquals(List.of("t", "k", "s"), fieldNames(log.get(0)));
        assertEquals(List.of("t", "x", "k", "s"), fieldNames(log.get(1)));
        assertEquals("78", ((List<?>) log.get(1).get(1)).get(3));
        assertEquals(List.of("t", "b", "k", "s"), fieldNames(log.get(2)));
        assertEquals("1", ((List<?>) log.get(2).get(1)).get(3));
        ship(a, b);
        assertEquals("v0", b.conn.callParsed("GET", "k0"));
        assertEquals("vx", b.conn.callParsed("GET", "kx"));
        assertEquals(null, b.conn.callParsed("GET", "k1"), "k1 lives in db 1 only");
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void setsBatchedInOneCallGiveKmWsRepliesEntriesAndMerges() {
        keysWithMoreThanAStamp(b);
        b.w("INCR", "count");                         // and a counter
        ship(b, a);
        Object replies = a.ws(0, "k1", "v1", "ttl", "a", "k2", "v2", "hash", "a", "gone", "a", "count", "7", "k3", "v3");
        assertEquals(List.of("OK", "OK", "OK", "OK", "OK", "OK", "OK"), replies);
        List<List<Object>> log = a.log(a.origin);
        List<String> keys = new ArrayList<>();
        for (List<Object> e : log) {
            List<?> f = (List<?>) e.get(1);
            keys.add((String) f.get(f.indexOf("k") + 1));
            assertEquals("s", f.get(f.size() - 2));
        }
        assertEquals(List.of("k1", "ttl", "k2", "hash", "gone", "count", "k3"), keys, "one entry per SET, in call order");
        assertEquals(List.of("t", "k", "s"), fieldNames(log.get(0)));
        assertEquals(-1L, a.conn.callParsed("PTTL", "ttl"), "a plain SET drops the expiry");
        ship(a, b);
        ship(b, a);
        assertEquals(a.digest(), b.digest());
        for (Node n : new Node[] {a, b}) {
            assertEquals("v1", n.conn.callParsed("GET", "k1"));
            assertEquals("a", n.conn.callParsed("GET", "hash"));
            assertEquals("a", n.conn.callParsed("GET", "gone"));
            assertEquals("7", n.conn.callParsed("GET", "count"));
        }
        // what km_w gives the same SETs, one call each
        Node d = node("d", "dddddddd");
        ship(b, d);
        for (String[] kv : new String[][] {{"k1", "v1"}, {"ttl", "a"}, {"k2", "v2"}, {"hash", "a"}, {"gone", "a"}, {"count", "7"}, {"k3", "v3"}}) {
            d.w("SET", kv[0], kv[1]);
        }
        assertEquals(a.digest(), d.digest());
        assertEquals(a.log(a.origin).size(), d.log(d.origin).size());
    }

    @Test
    void setsBatchedOverStringMetadataOrALaterStampMergeLikeKmW() {
        b.w("SET", "ttl", "b", "PX", "3600000");    // metadata with an expiry, a tombstone, counters
        b.w("SET", "gone", "b");
        b.w("DEL", "gone");
        b.w("INCR", "count");
        b.observe(a.clock() + 1_000);                // and a register stamp ahead of a's next stamps
        b.w("SET", "ahead", "b");
        long before = a.clock();
        ship(b, a);
        a.rewind(before);
        assertEquals(List.of("OK", "OK", "OK", "OK", "OK", "OK"),
                a.ws(0, "k1", "v1", "ttl", "a", "gone", "a", "count", "7", "ahead", "a", "new", "n"));
        assertEquals(-1L, a.conn.callParsed("PTTL", "ttl"), "a plain SET drops the expiry");
        assertEquals("a", a.conn.callParsed("GET", "ahead"), "a client's SET wins over the stamp it has seen");
        // what km_w gives the same SETs, one call each
        Node d = node("d", "dddddddd");
        ship(b, d);
        d.rewind(before);
        for (String[] kv : new String[][] {{"k1", "v1"}, {"ttl", "a"}, {"gone", "a"}, {"count", "7"}, {"ahead", "a"}, {"new", "n"}}) {
            d.w("SET", kv[0], kv[1]);
        }
        assertEquals(a.digest(), d.digest());
        ship(a, b);
        ship(b, a);
        assertEquals(a.digest(), b.digest());
        assertEquals("a", b.conn.callParsed("GET", "ahead"));
        assertEquals("7", b.conn.callParsed("GET", "count"));
    }

    @Test
    void plainSetsOfOneCallShareALogEntryThatReceiversApplySetBySet() {
        keysWithMoreThanAStamp(b);                    // b holds ttl and hash with more than a stamp
        ship(b, a);
        assertEquals(List.of("OK", "OK", "OK", "OK", "OK", "OK"),
                a.ws(0, "p1", "1", "p2", "2", "hash", "a", "p3", "3", "ttl", "a", "p4", "4"));
        List<List<Object>> log = a.log(a.origin);
        List<List<Object>> names = new ArrayList<>();
        for (List<Object> e : log) {
            names.add(fieldNames(e));
        }
        // SETs whose stamp was all there was to merge share an entry; one that merged more stands alone
        assertEquals(5, log.size(), "p1 and p2, hash, p3, ttl, p4: " + names);
        assertEquals(List.of("t", "k", "s", "t", "k", "s"), names.get(0));
        assertEquals(List.of("t", "k", "s"), names.get(2));
        assertEquals(List.of("t", "k", "s"), names.get(4));
        assertEquals(List.of("hash", "ttl"), List.of(firstKey(log.get(1)), firstKey(log.get(3))));
        List<?> shared = (List<?>) log.get(0).get(1);
        assertTrue(((String) shared.get(7)).compareTo((String) shared.get(1)) > 0, "each SET keeps its own stamp");
        // c holds p2 and p3 with more than a stamp: the shared entry's SETs merge one by one there
        c.w("SET", "p2", "c", "PX", "3600000");
        c.w("HSET", "p3", "f", "c");
        ship(c, a);
        ship(a, c);
        ship(a, b);
        ship(b, c);
        ship(c, b);
        ship(c, a);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        for (Node n : new Node[] {a, b, c}) {
            assertEquals("1", n.conn.callParsed("GET", "p1"));
            assertEquals("4", n.conn.callParsed("GET", "p4"));
        }
        assertEquals(log.size(), c.log(a.origin).size(), "the receiver's copy of the log has the same entries");
        assertEquals(log.get(0), c.log(a.origin).get(0));
    }

    @Test
    void setsBatchedWithARepeatedKeyOrInAnotherDbKeepTheirOrder() {
        assertEquals(List.of("OK", "OK", "OK"), a.ws(0, "k", "1", "j", "x", "k", "2"));
        assertEquals("2", a.conn.callParsed("GET", "k"));
        assertEquals(List.of("OK", "OK"), a.ws(1, "d1", "v", "d1b", "w"));
        List<List<Object>> log = a.log(a.origin);
        assertEquals(4, log.size(), "a repeated key: one entry per SET; two SETs of db 1: one entry");
        assertEquals(List.of("t", "b", "k", "s", "t", "k", "s"), fieldNames(log.get(3)));
        ship(a, b);
        assertEquals("2", b.conn.callParsed("GET", "k"));
        assertEquals(a.digest(), b.digest());
        assertEquals(null, b.conn.callParsed("GET", "d1"), "d1 lives in db 1");
        assertInstanceOf(RawConnection.Err.class, a.conn.callParsed("FCALL", "km_ws", "0", Node.N, a.origin, "0", a.stamp(), "k"));
    }

    @Test
    void wholeKeyDeleteDropsTheMemberMetadataItDominates() {
        a.w("HSET", "h", "f1", "1", "f2", "2");
        a.w("HDEL", "h", "f1");
        a.w("DEL", "h");
        ship(a, b);
        for (Node n : new Node[] {a, b}) {
            n.conn.callParsed("SELECT", Node.N);
            assertEquals(List.of(""), n.conn.callParsed("HKEYS", "h"), "only the key-level tombstone remains");
            n.conn.callParsed("SELECT", 0);
        }
    }

    @Test
    void memberWrittenAfterADeleteSurvivesAnOlderStateOfAnotherTypeArrivingFirst() {
        // B writes each key as a string, then deletes it; C, later than both, writes members
        List<String> keys = List.of("z", "h", "s", "zc");
        for (String k : keys) {
            b.w("SET", k, "v77");
        }
        for (String k : keys) {
            b.w("DEL", k);
        }
        c.observe(b.clock());
        c.w("ZADD", "z", "40", "m2");
        c.w("HSET", "h", "f", "1");
        c.w("SADD", "s", "m");
        c.w("ZADD", "zc", "5", "m");
        c.w("ZINCRBY", "zc", "2", "m");
        // C receives the strings after its members, A before them: while a string is the key's
        // state it holds the key
        c.apply(b.origin, b.log(b.origin).subList(0, keys.size()));
        a.apply(b.origin, b.log(b.origin).subList(0, keys.size()));
        ship(c, a);
        for (Node n : new Node[] {a, c}) {
            for (String k : keys) {
                assertEquals("v77", n.conn.callParsed("GET", k));
            }
        }
        // then the deletes, which are older than C's members: the members are all that is left
        ship(b, c);
        ship(b, a);
        ship(c, b);
        for (Node n : new Node[] {a, b, c}) {
            assertEquals(List.of("m2", "40"), n.conn.callParsed("ZRANGE", "z", "0", "-1", "WITHSCORES"));
            assertEquals(List.of("f", "1"), n.conn.callParsed("HGETALL", "h"));
            assertEquals(List.of("m"), n.conn.callParsed("SMEMBERS", "s"));
            assertEquals("7", n.conn.callParsed("ZSCORE", "zc", "m"));
            n.conn.callParsed("SELECT", Node.N);
            assertEquals(0L, n.conn.callParsed("HEXISTS", "z", "pm2"), "no value stays parked");
            n.conn.callParsed("SELECT", 0);
        }
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
    }

    @Test
    void incrementOfZeroUnseenByADeleteDoesNotBringTheMemberBack() {
        c.w("ZINCRBY", "z", "-2", "m0");
        c.w("HINCRBY", "h", "f0", "-2");
        // A's increments are concurrent with C's deletes and add nothing
        a.w("ZINCRBY", "z", "0", "m3");
        a.w("HINCRBY", "h", "f3", "0");
        c.observe(a.clock());
        c.w("DEL", "z", "h");
        meshAll(a, b, c);
        for (Node n : new Node[] {a, b, c}) {
            assertEquals(0L, n.conn.callParsed("EXISTS", "z", "h"));
        }
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
    }

    private static Object firstKey(List<Object> entry) {
        List<?> fields = (List<?>) entry.get(1);
        return fields.get(fields.indexOf("k") + 1);
    }

    private static List<Object> fieldNames(List<Object> entry) {
        List<?> fields = (List<?>) entry.get(1);
        List<Object> names = new ArrayList<>();
        for (int i = 0; i < fields.size(); i += 2) {
            names.add(fields.get(i));
        }
        return names;
    }

    @Test
    void expiryReplicatesAsAbsoluteTimeAndMetadataExpiresWithItsKey() throws Exception {
        a.w("SET", "k", "v");
        a.w("PEXPIRE", "k", "100000");
        a.w("SET", "short", "v", "PX", "150");
        a.w("SET", "p", "v", "EX", "1000");
        a.w("PERSIST", "p");
        ship(a, b);
        Object at = a.conn.callParsed("PEXPIRETIME", "k");
        assertTrue((Long) at > 0);
        assertEquals(at, b.conn.callParsed("PEXPIRETIME", "k"));
        assertEquals(-1L, b.conn.callParsed("PEXPIRETIME", "p"));
        b.conn.callParsed("SELECT", Node.N);
        assertEquals(at, b.conn.callParsed("PEXPIRETIME", "k"), "metadata expires with its key");
        b.conn.callParsed("SELECT", 0);
        Thread.sleep(300);
        assertNull(a.conn.callParsed("GET", "short"));
        assertNull(b.conn.callParsed("GET", "short"));
        for (Node n : new Node[] {a, b}) {
            n.conn.callParsed("SELECT", Node.N);
            assertEquals(0L, n.conn.callParsed("EXISTS", "short"), "metadata of an expired key is gone");
            n.conn.callParsed("SELECT", 0);
        }
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void flushallEmptiesUserDatabasesOnlyAndIgnoresOlderWrites() {
        c.w("SET", "old", "x");
        a.observe(c.clock() + 5);
        a.w("SET", "k", "v");
        a.wDb(1, 2, "SET", "k1", "v");
        assertEquals("+OK\r\n", str(a.w("FLUSHALL")));
        ship(a, b);
        ship(c, b);
        ship(c, a);
        b.observe(a.clock() + 5);
        b.w("SET", "after", "y");
        meshAll(a, b);
        for (Node n : new Node[] {a, b}) {
            assertNull(n.conn.callParsed("GET", "old"));
            assertNull(n.conn.callParsed("GET", "k"));
            assertEquals("y", n.conn.callParsed("GET", "after"));
        }
        assertEquals(3, a.log(a.origin).size(), "the log survives FLUSHALL");
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void failedAndNoOpCommandsWriteNoLogEntry() {
        a.w("SET", "s", "text");
        a.w("SADD", "set", "m");
        int before = a.log(a.origin).size();
        assertTrue(str(a.w("INCR", "s")).startsWith("-ERR value is not an integer"));
        assertTrue(str(a.w("LPUSH", "s", "x")).startsWith("-WRONGTYPE"));
        assertEquals("-ERR wrong number of arguments for 'set' command\r\n", str(a.w("SET", "s")));
        assertEquals(":0\r\n", str(a.w("SETNX", "s", "y")));
        assertEquals("$-1\r\n", str(a.w("SET", "s", "y", "NX")));
        assertEquals("$-1\r\n", str(a.w("SET", "nope", "y", "XX")));
        assertEquals(":0\r\n", str(a.w("DEL", "nope")));
        assertEquals(":0\r\n", str(a.w("EXPIRE", "nope", "10")));
        assertEquals(":0\r\n", str(a.w("SREM", "set", "other")));
        assertEquals("$-1\r\n", str(a.w("LPOP", "nolist")));
        assertTrue(str(a.w("SWAPDB", "0", "1")).startsWith("-ERR keymesh: SWAPDB cannot be replicated"));
        assertEquals(":1\r\n", str(a.w("EVAL", "return 1", "0")), "a script that writes nothing logs nothing");
        assertTrue(str(a.w("EVAL", "return redis.call('INCR', KEYS[1])", "1", "s")).startsWith("-ERR value is not an integer"),
                "nor does a script whose only write fails");
        assertTrue(str(a.w("MOVE", "s", "2")).startsWith("-ERR DB index is out of range"));
        assertEquals(before, a.log(a.origin).size());
        assertEquals("text", a.conn.callParsed("GET", "s"));
    }

    /** One command of every family, in an order that exercises each path. */
    static final Object[][] MIXED = {
        {"SET", "s", "v"}, {"SET", "s", "v2", "GET"}, {"SET", "s", "v3", "NX"}, {"SET", "s", "v4", "XX", "PX", "100000"},
        {"SETNX", "s", "x"}, {"GETSET", "s", "y"}, {"APPEND", "s", "zz"}, {"SETRANGE", "s", "1", "QQ"},
        {"SETEX", "se", "100", "v"}, {"PSETEX", "pe", "100000", "v"},
        {"INCR", "c"}, {"INCRBY", "c", "5"}, {"DECR", "c"}, {"DECRBY", "c", "2"}, {"INCRBYFLOAT", "f", "1.5"},
        {"INCRBYFLOAT", "f", "2"}, {"INCR", "s"}, {"MSET", "m1", "1", "m2", "2"}, {"MSETNX", "m1", "1", "m3", "2"},
        {"GETDEL", "m1"}, {"GETEX", "m2", "PX", "100000"}, {"EXPIRE", "m2", "100"}, {"PERSIST", "m2"},
        {"DEL", "m2", "nope"}, {"LPUSH", "l", "a", "b", "c"}, {"RPOP", "l"}, {"LMOVE", "l", "l2", "LEFT", "RIGHT"},
        {"HSET", "h", "f", "1", "g", "2"}, {"HINCRBY", "h", "f", "3"}, {"HINCRBYFLOAT", "h", "f", "0.5"},
        {"HDEL", "h", "g"}, {"SADD", "st", "a", "b"}, {"SREM", "st", "a"}, {"SMOVE", "st", "st2", "b"},
        {"ZADD", "z", "1", "a", "2", "b"}, {"ZINCRBY", "z", "2.5", "a"}, {"ZREM", "z", "b"},
        {"RENAME", "s", "s2"}, {"COPY", "s2", "s3"}, {"XADD", "x", "1-1", "f", "v"}, {"PFADD", "hll", "a", "b"},
        {"SETBIT", "bits", "7", "1"}, {"BITOP", "OR", "dst", "bits", "bits"}, {"SADD", "u1", "p", "q"},
        {"SUNIONSTORE", "su", "u1", "st2"}, {"SORT", "u1", "ALPHA", "STORE", "sorted"},
        {"ZUNIONSTORE", "zu", "1", "z"}, {"BITFIELD", "bf", "INCRBY", "u8", "0", "200"},
        {"SET"}, {"LPUSH", "s2", "x"}, {"RESTORE", "s3", "0", "garbage"}, {"MOVE", "s3", "1"},
        {"EXPIRE", "s2", "-1"}, {"UNLINK", "s3", "x"},
    };

    private void repliesMatchPlainRedis(int proto) {
        Node plain = node("plain" + proto, "pppppppp");
        if (proto == 3) {
            a.conn.call("HELLO", "3");
            plain.conn.call("HELLO", "3");
        }
        for (Object[] cmd : MIXED) {
            byte[] expected = plain.conn.call(cmd);
            byte[] got = a.wDb(0, proto, cmd);
            assertEquals(str(expected), str(got), "reply to " + List.of(cmd));
        }
        assertEquals(stripTtl(plain.digest()), stripTtl(a.digest()));
    }

    private static String stripTtl(String digest) {
        return digest.replaceAll("ttl@[0-9]{6,}", "ttl@set");
    }

    @Test
    void repliesEqualPlainRedisOverResp2() {
        repliesMatchPlainRedis(2);
    }

    @Test
    void repliesEqualPlainRedisOverResp3() {
        repliesMatchPlainRedis(3);
    }

    @Test
    void entriesOfTwoOriginsConvergeInEitherOrderAndWhenResent() {
        for (int i = 0; i < MIXED.length; i++) {
            Node n = i % 2 == 0 ? a : b;
            n.w(MIXED[i]);
        }
        a.w("SET", "s2", "from-a");
        b.w("HSET", "h", "f", "from-b");
        ship(a, b);
        ship(b, a);
        ship(b, c);
        ship(a, c);
        ship(a, c);
        ship(b, a);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        assertNotEquals("db0 {}\ndb1 {}\n", a.digest());
    }

    @Test
    void snapshotMergeCopiesKeysAndKeepsLaterLocalWrites() {
        a.w("SET", "k", "1");
        a.w("INCR", "k");
        a.w("HSET", "h", "f", "v");
        a.w("PEXPIRE", "h", "100000");
        a.w("SET", "gone", "x");
        a.w("DEL", "gone");
        b.observe(a.clock() + 5);
        b.w("SET", "h", "later-on-b");
        snapshot(a, b, "k", "h", "gone");
        snapshot(a, c, "k", "h", "gone");
        assertEquals("2", b.conn.callParsed("GET", "k"));
        assertEquals("later-on-b", b.conn.callParsed("GET", "h"));
        assertEquals(a.conn.callParsed("PEXPIRETIME", "h"), c.conn.callParsed("PEXPIRETIME", "h"));
        // the tombstone travelled too: an old SET of "gone" shipped later stays deleted
        ship(a, c);
        assertEquals(a.digest(), c.digest());
    }

    /** Sends keys from one node to another the way a snapshot link does: km_dumpkey there, km_mergekey here. */
    private static void snapshot(Node from, Node to, String... keys) {
        to.mergeKeys(from, 0, List.of(keys));
    }

    @Test
    void snapshotKeepsAnExpiryWrittenWithTheValue() {
        b.w("SET", "px", "older");                             // b's older state of the key
        a.observe(b.clock());
        a.w("SET", "px", "v", "PX", "100000");                 // value and expiry at one stamp
        a.w("SET", "src", "w", "PX", "200000");
        a.w("COPY", "src", "copied");                          // a whole-key state that carries a TTL
        snapshot(a, b, "px", "copied");
        snapshot(a, c, "px", "copied");
        for (Node n : new Node[] {b, c}) {
            assertEquals("v", n.conn.callParsed("GET", "px"));
            assertEquals(a.conn.callParsed("PEXPIRETIME", "px"), n.conn.callParsed("PEXPIRETIME", "px"), n.origin);
            assertEquals(a.conn.callParsed("PEXPIRETIME", "copied"), n.conn.callParsed("PEXPIRETIME", "copied"), n.origin);
        }
    }

    @Test
    void snapshotOfADeleteResetsTheIncrementsItHadSeen() {
        a.w("HINCRBY", "h", "f", "2");
        a.w("ZINCRBY", "z", "3", "m");
        ship(a, b);
        b.w("DEL", "h", "z");                                  // has seen a's increments
        ship(a, c);                                            // c has them from the log, not the delete
        snapshot(b, c, "h", "z");
        assertEquals(0L, c.conn.callParsed("EXISTS", "h", "z"));
        a.w("HINCRBY", "h", "f", "5");                         // a later increment counts on its own
        meshAll(a, b, c);
        for (Node n : new Node[] {a, b, c}) {
            assertEquals("5", n.conn.callParsed("HGET", "h", "f"), n.origin);
            assertEquals(0L, n.conn.callParsed("EXISTS", "z"), n.origin);
        }
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
    }

    @Test
    void snapshotMergeOfCountedMembersCountsEveryIncrementOnce() {
        a.w("HSET", "h", "f", "10");
        a.w("HINCRBY", "h", "f", "1");
        a.w("ZINCRBY", "z", "2", "m");
        ship(a, b);                                  // b holds a's increments so far from the log
        b.w("HINCRBY", "h", "f", "5");
        b.w("ZINCRBY", "z", "3", "m");
        a.w("HINCRBY", "h", "f", "100");             // these reach b by snapshot only
        a.w("HINCRBY", "h", "g", "7");
        a.w("ZINCRBY", "z", "4", "m");
        snapshot(a, b, "h", "z");
        assertEquals("116", b.conn.callParsed("HGET", "h", "f"));
        assertEquals("7", b.conn.callParsed("HGET", "h", "g"));
        assertEquals("9", b.conn.callParsed("ZSCORE", "z", "m"));
        snapshot(a, b, "h", "z");                    // a second snapshot changes nothing
        assertEquals("116", b.conn.callParsed("HGET", "h", "f"));
        ship(b, a);
        ship(a, b);
        assertEquals("116", a.conn.callParsed("HGET", "h", "f"));
        assertEquals("9", a.conn.callParsed("ZSCORE", "z", "m"));
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void snapshotOfANewerWholeKeyKeepsIncrementsTheReceiverAlreadyCounted() {
        a.w("HSET", "h", "f", "10");
        ship(a, b);
        b.w("HINCRBY", "h", "f", "5");
        a.w("HINCRBY", "h", "f", "100");
        ship(a, b);                                  // b: 10 + 5 + 100, a's 100 known from the log
        assertEquals("115", b.conn.callParsed("HGET", "h", "f"));
        a.w("RENAME", "h", "tmp");
        a.w("RENAME", "tmp", "h");                   // a newer whole-key state of h: f = 110, a's 100 included
        snapshot(a, b, "h", "tmp");
        assertEquals("115", b.conn.callParsed("HGET", "h", "f"));
        ship(b, a);
        ship(a, b);
        assertEquals("115", a.conn.callParsed("HGET", "h", "f"));
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void snapshotAfterAFlushKeepsACounterThatHasNoRegister() {
        a.w("SET", "k", "1");
        ship(a, b);                                      // b holds an older state of k
        a.w("FLUSHDB");
        a.w("INCRBY", "k", "-4");                        // a counter only: no register stamp
        a.w("HINCRBY", "h", "f", "2");
        b.snapshotFrom(a);                               // the flush first, then the keys
        assertEquals("-4", b.conn.callParsed("GET", "k"));
        assertEquals("2", b.conn.callParsed("HGET", "h", "f"));
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void snapshotCarriesMembersParkedBehindAStateOfAnotherType() {
        String[] keys = {"k", "kc", "kp", "kh"};
        for (String k : keys) {
            a.w("SET", k, "x");
        }
        ship(a, b);
        b.w("DEL", "k", "kc", "kp", "kh");              // later than a's strings; reaches a only at the end
        c.observe(b.clock() + 5);
        c.w("ZADD", "k", "1", "m");                     // later than the delete, on a node without the strings
        c.w("ZINCRBY", "kc", "2", "m");                 // a member with counters only
        c.w("ZADD", "kp", "5", "m");                    // a counted member with a register
        c.w("ZINCRBY", "kp", "2", "m");
        c.w("HSET", "kh", "f", "v");
        ship(c, a);                                     // a: the strings keep the keys, the members wait
        for (String k : keys) {
            assertEquals("x", a.conn.callParsed("GET", k));
        }
        Node e = node("e", "eeeeeeee");
        snapshot(a, e, keys);                           // e knows the members only from a's snapshot
        snapshot(a, e, keys);                           // a second snapshot changes nothing
        c.w("ZINCRBY", "kc", "10", "m");                // increments after the snapshot count once
        c.w("ZINCRBY", "kp", "10", "m");
        meshAll(a, b, c, e);                            // the delete ends the strings: the members come back
        for (Node n : new Node[] {a, b, c, e}) {
            assertEquals("1", n.conn.callParsed("ZSCORE", "k", "m"), n.origin);
            assertEquals("12", n.conn.callParsed("ZSCORE", "kc", "m"), n.origin);
            assertEquals("17", n.conn.callParsed("ZSCORE", "kp", "m"), n.origin);
            assertEquals("v", n.conn.callParsed("HGET", "kh", "f"), n.origin);
        }
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        assertEquals(a.digest(), e.digest());
    }

    @Test
    @SuppressWarnings("unchecked")
    void theProductionKmWHeaderFollowedByTheClientsBytesRunsAsKmWOnTheServer() {
        ApplyCalls calls = new ApplyCalls(a.origin, Node.N);
        byte[] client = RawConnection.request("SET", "enc", "v");
        String stamp = a.stamp();
        io.netty.buffer.ByteBuf req = calls.header(io.netty.buffer.ByteBufAllocator.DEFAULT, 3, 2, 0,
                Long.parseUnsignedLong(stamp.substring(0, 16), 16), 0x0123456789abcdefL);
        req.writeBytes(client, 4, client.length - 4);            // the client's frame without its "*3"
        byte[] bytes = new byte[req.readableBytes()];
        req.readBytes(bytes);
        req.release();
        a.conn.send(bytes);
        assertEquals("+OK\r\n", str(a.conn.readReply()));
        assertEquals("v", a.conn.callParsed("GET", "enc"));
        List<Object> fields = (List<Object>) a.log(a.origin).get(0).get(1);
        assertEquals(List.of("t", stamp, "x", "0123456789abcdef", "k", "enc", "s", "v"), fields);
    }

    @Test
    void largeMultiKeyWriteReplicatesAsOneEntry() {
        List<Object> mset = new ArrayList<>(List.of("MSET"));
        for (int i = 0; i < 3000; i++) {
            mset.add("k" + i);
            mset.add("v" + i);
        }
        assertEquals("+OK\r\n", str(a.w(mset.toArray())));
        assertEquals(1, a.log(a.origin).size());
        ship(a, b);
        assertEquals(3000L, b.conn.callParsed("DBSIZE"));
        assertEquals(a.digest(), b.digest());
        List<Object> tooMany = new ArrayList<>(List.of("DEL"));
        for (int i = 0; i < 8000; i++) {
            tooMany.add("k" + i);
        }
        assertTrue(str(a.w(tooMany.toArray())).startsWith("-ERR keymesh: DEL with more than"));
        assertEquals(3000L, a.conn.callParsed("DBSIZE"), "a refused command changes nothing");
    }

    private static List<Object> list(Node n, String key) {
        return (List<Object>) (List<?>) n.conn.callParsed("LRANGE", key, "0", "-1");
    }

    private static void assertListOnEveryNode(List<Object> expected, String key, Node... nodes) {
        for (Node n : nodes) {
            assertEquals(expected, list(n, key), n.origin);
        }
        for (Node n : nodes) {
            assertEquals(nodes[0].digest(), n.digest(), n.origin);
        }
    }

    @Test
    void concurrentPushesOnTwoNodesAllSurviveInOneOrderWhateverTheArrivalOrder() {
        a.w("RPUSH", "q", "base");
        ship(a, b);
        a.w("LPUSH", "q", "a1");                    // stamps: a's 2 and 3, b's 8 and 9
        a.w("RPUSH", "q", "a2");
        b.observe(a.clock() + 5);
        b.w("LPUSH", "q", "b1");
        b.w("RPUSH", "q", "b2", "b3");
        ship(a, b);                                 // b: a's pushes arrive after its own
        ship(b, a);                                 // a: the other way round
        ship(b, c);                                 // c: b's first, and its pushes before the list exists
        ship(a, c);
        // head pushes newest first, then tail pushes oldest first
        assertListOnEveryNode(List.of("b1", "a1", "base", "a2", "b2", "b3"), "q", a, b, c);
    }

    @Test
    void aPopRemovesItsElementEverywhereAndConcurrentPopsHandItOutTwiceButLoseNothing() {
        a.w("RPUSH", "q", "1", "2", "3", "4", "5");
        ship(a, b);
        assertEquals("$1\r\n1\r\n", str(a.w("LPOP", "q")));
        assertEquals("$1\r\n1\r\n", str(b.w("LPOP", "q")));          // at-least-once: both hand out 1
        assertEquals("*2\r\n$1\r\n5\r\n$1\r\n4\r\n", str(b.w("RPOP", "q", "2")));
        a.w("LMOVE", "q", "done", "LEFT", "RIGHT");                   // 2 moves to another list
        ship(b, c);                                                   // c gets the pops before the pushes
        meshAll(a, b, c);
        assertListOnEveryNode(List.of("3"), "q", a, b, c);
        assertListOnEveryNode(List.of("2"), "done", a, b, c);
    }

    @Test
    void lremAndLtrimRemoveTheElementsTheySawAndConverge() {
        a.w("RPUSH", "q", "x", "y", "x", "z", "x");
        ship(a, b);
        assertEquals(":2\r\n", str(a.w("LREM", "q", "2", "x")));     // the first two x
        assertEquals("+OK\r\n", str(b.w("LTRIM", "q", "1", "-1")));   // the first x
        b.w("RPUSH", "q", "x");                                       // a new x, which a's LREM never saw
        assertEquals(":1\r\n", str(b.w("LREM", "q", "-1", "z")));
        meshAll(a, b);
        assertListOnEveryNode(List.of("y", "x", "x"), "q", a, b);
        assertEquals("+OK\r\n", str(a.w("LTRIM", "q", "5", "9")));    // everything
        meshAll(a, b);
        assertEquals(0L, b.conn.callParsed("EXISTS", "q"));
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void lsetAndLinsertWriteTheWholeListAndSupersedeEarlierConcurrentPushes() {
        a.w("RPUSH", "q", "1", "2");
        ship(a, b);
        b.w("RPUSH", "q", "early");                      // concurrent, earlier than the LSET
        a.observe(b.clock() + 5);
        a.w("LSET", "q", "0", "one");
        a.w("LINSERT", "q", "AFTER", "one", "1.5");
        b.observe(a.clock() + 5);
        b.w("LPUSH", "q", "late");                       // later: survives on top
        meshAll(a, b);
        assertListOnEveryNode(List.of("late", "one", "1.5", "2"), "q", a, b);
        b.w("RPOP", "q");                                // the whole-key state's elements have ids too
        meshAll(a, b);
        assertListOnEveryNode(List.of("late", "one", "1.5"), "q", a, b);
    }

    @Test
    void aDeleteRemovesTheElementsPushedBeforeItAndKeepsLaterPushes() {
        a.w("RPUSH", "q", "1", "2");
        meshAll(a, b, c);
        c.w("LPUSH", "q", "early");                      // earlier than the DEL
        a.observe(c.clock() + 5);
        a.w("DEL", "q");
        b.observe(a.clock() + 5);
        b.w("RPUSH", "q", "late");                       // later than the DEL
        b.w("LPUSH", "q", "later");
        ship(b, c);
        ship(c, a);
        ship(a, c);                                      // c: the DEL arrives after later pushes
        meshAll(a, b, c);
        assertListOnEveryNode(List.of("later", "late"), "q", a, b, c);
    }

    @Test
    void aPushLaterThanAConcurrentStateOfAnotherTypeSupersedesIt() {
        a.w("RPUSH", "k", "1");
        a.w("RPUSH", "j", "1");
        meshAll(a, b);
        a.w("SET", "k", "text");                         // earlier than b's push
        a.w("SET", "j", "text");
        b.observe(a.clock() + 5);
        b.w("RPUSH", "k", "2");
        b.w("LPOP", "j");                                // a pop is no push: the later state keeps j
        ship(b, a);
        ship(a, b);
        ship(a, c);
        ship(b, c);
        for (Node n : new Node[] {a, b, c}) {
            assertEquals(List.of("2"), list(n, "k"), n.origin);
            assertEquals("text", n.conn.callParsed("GET", "j"), n.origin);
        }
        b.w("RPOP", "k");                                // the string does not come back
        meshAll(a, b, c);
        for (Node n : new Node[] {a, b, c}) {
            assertEquals(0L, n.conn.callParsed("EXISTS", "k"), n.origin);
        }
        assertEquals(a.digest(), c.digest());
    }

    @Test
    void snapshotMergesListsByElement() {
        a.w("RPUSH", "q", "1", "2", "3");
        a.w("LPUSH", "q", "0");
        a.w("RPOP", "q");
        ship(a, c);
        b.w("RPUSH", "q", "b1");                         // concurrent, on a node that never had a's
        c.w("LPOP", "q");                                // c pops 0; b gets it only by the log
        snapshot(a, b, "q");
        assertEquals(List.of("0", "1", "2", "b1"), list(b, "q"));
        snapshot(a, b, "q");                             // a second snapshot changes nothing
        assertEquals(List.of("0", "1", "2", "b1"), list(b, "q"));
        meshAll(a, b, c);
        assertListOnEveryNode(List.of("1", "2", "b1"), "q", a, b, c);
    }

    @Test
    void aSnapshotTellsWhichPushesItsSenderSawSoPoppedElementsNeverComeBack() {
        a.w("RPUSH", "q", "1", "2", "3");
        ship(a, b);
        b.w("LPOP", "q");                                // b pops 1
        a.w("RPUSH", "q", "4");                          // b never sees this push before its snapshot
        ship(a, c);
        c.w("RPOP", "q");                                // c pops 4
        snapshot(b, c, "q");                             // b saw 1 pushed and holds it no more: c drops it
        assertEquals(List.of("2", "3"), list(c, "q"));
        Node d = node("d", "dddddddd");
        snapshot(b, d, "q");
        ship(a, d);                                      // a's first push is in b's snapshot: no 1 again
        assertEquals(List.of("2", "3", "4"), list(d, "q"));
        meshAll(a, b, c, d);
        assertListOnEveryNode(List.of("2", "3"), "q", a, b, c, d);
    }

    @Test
    void aPushOntoALongListLogsOnlyThePushedElement() {
        for (int k = 0; k < 100; k++) {
            List<Object> push = new ArrayList<>(List.of("RPUSH", "q"));
            for (int i = 0; i < 1000; i++) {
                push.add(String.format("element-%06d", 1000 * k + i));
            }
            a.w(push.toArray());
        }
        ship(a, b);
        assertEquals(100_000L, b.conn.callParsed("LLEN", "q"));
        byte[] value = "x".repeat(100).getBytes(StandardCharsets.US_ASCII);
        a.w("LPUSH", "q", value);
        a.w("RPOP", "q");
        a.conn.callParsed("SELECT", 2 * Node.N);
        byte[] pushEntry = a.conn.call("XRANGE", "km:log:" + a.origin, "101", "101");
        byte[] popEntry = a.conn.call("XRANGE", "km:log:" + a.origin, "102", "102");
        a.conn.callParsed("SELECT", 0);
        System.out.printf("log entries on a 100,000-element list: LPUSH of 100 bytes %d bytes, RPOP %d bytes%n",
                pushEntry.length, popEntry.length);
        assertTrue(pushEntry.length < 300, "LPUSH entry of " + pushEntry.length + " bytes");
        assertTrue(popEntry.length < 200, "RPOP entry of " + popEntry.length + " bytes");
        ship(a, b);
        assertEquals(new String(value, StandardCharsets.US_ASCII), b.conn.callParsed("LINDEX", "q", "0"));
        assertEquals("element-099998", b.conn.callParsed("LINDEX", "q", "-1"));
        assertEquals(a.digest(), b.digest());
    }

    @Test
    void touchLogsTheStateLeftByANativeBlockingPop() {
        a.w("SADD", "s", "x", "y");
        ship(a, b);
        a.conn.callParsed("SPOP", "s");
        assertEquals("+OK\r\n", str(a.w("KM.TOUCH", "s")));
        ship(a, b);
        assertEquals(a.conn.callParsed("SMEMBERS", "s"), b.conn.callParsed("SMEMBERS", "s"));
    }

    @Test
    void touchRecordsANativeListPopByElementOrElseTheWholeList() {
        a.w("RPUSH", "q", "1", "2", "3", "4");
        ship(a, b);
        String push = (String) ((List<Object>) a.log(a.origin).get(0).get(1)).get(1);
        a.conn.callParsed("BLPOP", "q", "1");
        assertEquals("+OK\r\n", str(a.w("KM.TOUCH", "q", "LPOP", "1")));
        a.conn.callParsed("BLMOVE", "q", "done", "RIGHT", "LEFT", "1");
        assertEquals("+OK\r\n", str(a.w("KM.TOUCH", "q", "RPOP", "1")));
        assertEquals("+OK\r\n", str(a.w("KM.TOUCH", "done", "LPUSH", "4")));
        List<List<Object>> log = a.log(a.origin);
        assertEquals(List.of("k", "q", "X", "t" + push + " a0 " + a.origin + ":1"), ((List<Object>) log.get(1).get(1)).subList(2, 6));
        assertEquals(List.of("k", "q", "X", "t" + push + " a3 " + a.origin + ":1"), ((List<Object>) log.get(2).get(1)).subList(2, 6));
        assertEquals(List.of("k", "done", "H", "4", "e", "0"), ((List<Object>) log.get(3).get(1)).subList(2, 8));
        // two native pops, one record: the ids cannot tell which went, so the record is the whole list
        a.conn.callParsed("LPOP", "q");
        a.conn.callParsed("LPOP", "q");
        b.observe(a.clock() + 5);
        b.w("RPUSH", "q", "later");
        assertEquals("+OK\r\n", str(a.w("KM.TOUCH", "q", "LPOP", "1")));
        assertEquals("d", ((List<Object>) a.log(a.origin).get(4).get(1)).get(4));
        meshAll(a, b);
        assertListOnEveryNode(List.of("later"), "q", a, b);
        assertListOnEveryNode(List.of("4"), "done", a, b);
    }

    @Test
    void trimDropsLogEntriesAndGcDropsOldTombstones() {
        a.w("SET", "k", "v");
        a.w("DEL", "k");
        a.w("HSET", "h", "f", "1");
        a.w("HDEL", "h", "f");
        a.w("SET", "keep", "v");
        a.w("SADD", "s", "x", "y");
        a.w("SREM", "s", "y");
        assertEquals(2L, a.conn.callParsed("FCALL", "km_trim", "0", Node.N, a.origin, 2));
        assertEquals(List.of("3-0", "4-0", "5-0", "6-0", "7-0"), a.log(a.origin).stream().map(e -> e.get(0)).toList());
        a.conn.callParsed("SELECT", Node.N);
        assertEquals(4L, a.conn.callParsed("DBSIZE"), "tombstones of k and h, metadata of keep and s");
        assertEquals("-" + "0000000000000007" + a.origin, a.conn.callParsed("HGET", "s", "fy"));
        a.conn.callParsed("SELECT", 0);
        String gcStamp = a.stamp();
        long dropped = 0;
        String cursor = "0";
        int steps = 0;
        do {        // COUNT 1: the pass takes several steps, and together they drop every old tombstone
            List<?> step = (List<?>) a.conn.callParsed(ApplyCalls.gcStep(Node.N, gcStamp, 0, cursor, 1).toArray());
            cursor = step.get(0).toString();
            dropped += (Long) step.get(1);
            steps++;
        } while (!cursor.equals("0"));
        assertEquals(3L, dropped);
        assertTrue(steps > 1, "an incremental pass");
        a.conn.callParsed("SELECT", Node.N);
        assertEquals(List.of("keep", "s"), new java.util.TreeSet<>((List<?>) a.conn.callParsed("KEYS", "*")).stream().toList());
        assertNull(a.conn.callParsed("HGET", "s", "fy"), "the member tombstone of y is gone");
        assertEquals("+0000000000000006" + a.origin, a.conn.callParsed("HGET", "s", "fx"));
        a.conn.callParsed("SELECT", 0);
        assertEquals(List.of("x"), a.conn.callParsed("SMEMBERS", "s"));
        assertEquals("v", a.conn.callParsed("GET", "keep"));
    }

    @Test
    void gcSkipsAndNamesAKeyWhoseMetadataCannotBeReadAndCollectsTheRest() {
        a.w("SET", "bad", "kept");
        a.w("SET", "k", "v");
        a.w("DEL", "k");
        a.w("HSET", "h", "f", "1");
        a.w("HDEL", "h", "f");
        // the metadata of bad: an old delete tombstone under a counter vector whose totals are no numbers
        String corrupt = a.stamp() + "|||" + "0000000000000001" + a.origin + "|" + a.origin + " " + a.stamp() + " \u0001z y";
        a.conn.callParsed("SELECT", Node.N);
        a.conn.callParsed("SET", "bad", corrupt);
        a.conn.callParsed("SELECT", 0);
        String gcStamp = a.stamp();
        List<Object> unreadable = new ArrayList<>();
        long dropped = 0;
        String cursor = "0";
        do {
            List<?> step = (List<?>) a.conn.callParsed(ApplyCalls.gcStep(Node.N, gcStamp, 0, cursor, 1).toArray());
            cursor = step.get(0).toString();
            dropped += (Long) step.get(1);
            unreadable.addAll(step.subList(2, step.size()));
        } while (!cursor.equals("0"));
        assertEquals(List.of("bad"), unreadable, "the key whose metadata cannot be read is named, once per pass");
        assertEquals(2L, dropped, "the tombstones of k and of h's field f are collected all the same");
        assertEquals("none", a.meta("k"));
        assertEquals(corrupt, a.meta("bad"), "the unreadable metadata is left as it was");
        assertEquals("kept", a.conn.callParsed("GET", "bad"));
        assertEquals(0L, a.conn.callParsed("EXISTS", "k"));
    }

    @Test
    void metadataOfSixPartsWithLongPartsIsReadInOneLinearPass() {
        a.w("SET", "long", "kept");
        // six parts, the first five 400 bytes each: a match that may split them anyhow before it
        // fails tries about 400^4 splits, and the server answers BUSY for minutes
        String part = "1".repeat(400);
        String meta = String.join("|", part, part, part, part, part, "x");
        a.conn.callParsed("SELECT", Node.N);
        a.conn.callParsed("SET", "long", meta);
        a.conn.callParsed("SELECT", 0);
        String cursor = "0";
        do {
            List<?> step = (List<?>) a.conn.callParsed(ApplyCalls.gcStep(Node.N, a.stamp(), 0, cursor, 100).toArray());
            cursor = step.get(0).toString();
        } while (!cursor.equals("0"));
        assertEquals(meta, a.meta("long"), "a live key's metadata is left as it was");
        assertEquals("kept", a.conn.callParsed("GET", "long"));
        assertEquals("PONG", a.conn.callParsed("PING"), "the server is not busy");
    }

    @Test
    void gcDropsOldRemovedIdTombstonesOfLists() {
        a.w("RPUSH", "q", "1");
        a.w("RPUSH", "gone", "x");
        meshAll(a, b, c);
        a.w("RPUSH", "q", "2", "3");
        a.w("RPUSH", "gone", "y");
        ship(a, c);
        c.w("LPOP", "q", "2");                           // 1 and 2
        c.w("LPOP", "gone", "2");                        // x and y: gone is empty
        ship(c, b);                                      // b: the pops of 2 and y before their pushes
        // the removed-id tombstones, ",id,", follow a "|" in the key's metadata string
        assertTrue(b.meta("q").contains("|,"), "a removed-id tombstone: " + b.meta("q"));
        assertTrue(b.meta("gone").contains("|,"), "a removed-id tombstone: " + b.meta("gone"));
        ship(a, b);                                      // the pushes arrive: 2 and y stay out
        assertEquals(List.of("3"), list(b, "q"));
        assertEquals(0L, b.conn.callParsed("EXISTS", "gone"));
        String gcStamp = String.format("%016x", Math.max(a.clock(), c.clock()) + 100) + "ffffffff";
        String cursor = "0";
        do {
            List<?> step = (List<?>) b.conn.callParsed(ApplyCalls.gcStep(Node.N, gcStamp, 0, cursor, 100).toArray());
            cursor = step.get(0).toString();
        } while (!cursor.equals("0"));
        assertFalse(b.meta("q").contains("|,"), "the tombstone is collected: " + b.meta("q"));
        assertEquals("none", b.meta("gone"), "an absent list's metadata is collected");
        meshAll(a, b, c);
        assertListOnEveryNode(List.of("3"), "q", a, b, c);
    }

    @Test
    void logEntryOfA100ByteSetIsAtMostOneAndAHalfTimesTheRequest() {
        byte[] value = "x".repeat(100).getBytes(StandardCharsets.US_ASCII);
        byte[] request = RawConnection.request("SET", "key:000001", value);
        a.w("SET", "key:000001", value);
        a.conn.callParsed("SELECT", 2 * Node.N);
        byte[] entry = a.conn.call("XRANGE", "km:log:" + a.origin, "-", "+");
        a.conn.callParsed("SELECT", 0);
        double ratio = (double) entry.length / request.length;
        System.out.printf("log entry of SET key:000001 <100 bytes>: %d bytes as XRANGE reply, request %d bytes, ratio %.2f%n",
                entry.length, request.length, ratio);
        assertTrue(ratio <= 1.5, "entry/request ratio " + ratio);
    }

    @Test
    void aRunOfCounterCommandsGivesEachTheReplyStateAndEntryItGetsAlone() {
        // a runs each command through km_w, a2 (same origin, same stamps) the same ones as km_wr runs
        Node a2 = node("a2", a.origin);
        long expiry = System.currentTimeMillis() + 600_000;
        Object[][] setup = {{"SET", "ttl", "5"}, {"PEXPIREAT", "ttl", Long.toString(expiry)}, {"SET", "odd", "01"},
                {"HSET", "h", "f", "1"}, {"SET", "fl", "1.5"}, {"SET", "neg", "-7"}};
        for (Object[] cmd : setup) {
            a.w(cmd);
            a2.w(cmd);
        }
        // the first run goes together; in the second a value that is not a canonical integer, a hash and a
        // float send every command of it one by one
        List<List<Object[]>> runs = List.of(
                List.of(new Object[] {"INCR", "fresh"}, new Object[] {"INCR", "fresh"}, new Object[] {"DECRBY", "fresh", "2"},
                        new Object[] {"INCRBY", "ttl", "10"}, new Object[] {"DECR", "neg"}, new Object[] {"INCR", "ttl"},
                        new Object[] {"INCRBY", "zero", "0"}),
                List.of(new Object[] {"INCR", "other"}, new Object[] {"INCR", "odd"}, new Object[] {"INCR", "h"},
                        new Object[] {"INCRBY", "fl", "1"}, new Object[] {"INCR", "other"}));
        for (List<Object[]> run : runs) {
            List<Object> alone = new ArrayList<>();
            for (Object[] cmd : run) {
                alone.add(RawConnection.parse(a.w(cmd)));
            }
            assertEquals(alone, a2.wr(0, run));
        }
        assertEquals("0", a2.conn.callParsed("GET", "fresh"));
        assertEquals(16L, a2.conn.callParsed("GET", "ttl") instanceof String v ? Long.parseLong(v) : -1L);
        assertEquals(expiry, a2.conn.callParsed("PEXPIRETIME", "ttl"));
        assertEquals(a.digest(), a2.digest());
        for (String key : List.of("fresh", "ttl", "odd", "h", "fl", "neg", "zero", "other")) {
            assertEquals(a.meta(key), a2.meta(key), "metadata of " + key);
        }
        // receivers: b takes a's entries one by one, c a2's joined ones
        ship(a, b);
        ship(a2, c);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        for (String key : List.of("fresh", "ttl", "odd", "h", "fl", "neg", "zero", "other")) {
            assertEquals(b.meta(key), c.meta(key), "received metadata of " + key);
        }
    }

    @Test
    void aRunOfCountersOverEarlierTotalsGivesEachTheReplyStateAndEntryItGetsAlone() {
        // a runs each command through km_w, a2 (same origin, same stamps) the same ones as km_wr runs
        Node a2 = node("a2", a.origin);
        long expiry = System.currentTimeMillis() + 600_000;
        // keys counted before: by this node alone, with an expiry, deleted since; one also by b
        Object[][] setup = {{"INCR", "again"}, {"INCRBY", "ttl", "4"}, {"PEXPIREAT", "ttl", Long.toString(expiry)},
                {"INCR", "gone"}, {"DEL", "gone"}, {"INCR", "both"}};
        for (Object[] cmd : setup) {
            a.w(cmd);
            a2.w(cmd);
        }
        b.w("INCRBY", "both", "10");
        ship(b, a);
        ship(b, a2);
        // and db 1, whose totals count from its flush
        for (Node n : new Node[] {a, a2}) {
            n.wDb(1, 2, "INCR", "f1");
            n.wDb(1, 2, "FLUSHDB");
        }
        List<Object[]> run0 = List.of(new Object[] {"INCR", "again"}, new Object[] {"INCRBY", "ttl", "5"},
                new Object[] {"INCR", "gone"}, new Object[] {"DECR", "both"}, new Object[] {"INCR", "again"},
                new Object[] {"INCR", "new"});
        List<Object[]> run1 = List.of(new Object[] {"INCR", "f1"}, new Object[] {"INCRBY", "f1", "3"},
                new Object[] {"DECR", "f2"});
        List<Object> alone0 = new ArrayList<>();
        for (Object[] cmd : run0) {
            alone0.add(RawConnection.parse(a.w(cmd)));
        }
        List<Object> alone1 = new ArrayList<>();
        for (Object[] cmd : run1) {
            alone1.add(RawConnection.parse(a.wDb(1, 2, cmd)));
        }
        assertEquals(List.of(2L, 9L, 1L, 10L, 3L, 1L), alone0);
        assertEquals(List.of(1L, 4L, -1L), alone1);
        assertEquals(alone0, a2.wr(0, run0));
        assertEquals(alone1, a2.wr(1, run1));
        assertEquals(expiry, a2.conn.callParsed("PEXPIRETIME", "ttl"));
        assertEquals(a.digest(), a2.digest());
        List<String> keys = List.of("again", "ttl", "gone", "both", "new");
        for (String key : keys) {
            assertEquals(a.meta(key), a2.meta(key), "metadata of " + key);
        }
        for (Node n : new Node[] {a, a2}) {
            n.conn.callParsed("SELECT", Node.N + 1);
        }
        for (String key : List.of("f1", "f2")) {
            assertEquals(a.conn.callParsed("GET", key), a2.conn.callParsed("GET", key), "metadata of " + key + " in db 1");
        }
        for (Node n : new Node[] {a, a2}) {
            n.conn.callParsed("SELECT", 0);
        }
        // receivers: b takes a's entries one by one, c a2's joined ones (and b's own)
        ship(a, b);
        ship(b, c);
        ship(a2, c);
        assertEquals(b.digest(), c.digest());
        for (String key : keys) {
            assertEquals(b.meta(key), c.meta(key), "received metadata of " + key);
        }
        assertEquals("10", c.conn.callParsed("GET", "both"));
    }

    @Test
    void aRunOfHsetsGivesEachTheReplyStateAndEntryItGetsAlone() {
        // a runs each command through km_w, a2 (same origin, same stamps) the same ones as km_wr runs
        Node a2 = node("a2", a.origin);
        long expiry = System.currentTimeMillis() + 600_000;
        Object[][] setup = {{"HSET", "h", "a", "1"}, {"PEXPIREAT", "h", Long.toString(expiry)}, {"HINCRBY", "hc", "n", "1"},
                {"SET", "str", "x"}};
        for (Object[] cmd : setup) {
            a.w(cmd);
            a2.w(cmd);
        }
        // the first run's HSETs go together per key; in the second a counted field, another type and a
        // malformed HSET send the commands of their key one by one
        List<List<Object[]>> runs = List.of(
                List.of(new Object[] {"HSET", "h", "a", "2", "b", "3"}, new Object[] {"HSET", "h", "b", "4", "c", "5"},
                        new Object[] {"HSET", "h", "a", "6"}, new Object[] {"HSET", "new", "x", "1", "x", "2"},
                        new Object[] {"HSET", "new", "y", "1"}, new Object[] {"HSET", "h", "d", "7"}),
                List.of(new Object[] {"HSET", "hc", "m", "1"}, new Object[] {"HSET", "hc", "n", "5"},
                        new Object[] {"HSET", "str", "f", "1"}, new Object[] {"HSET", "h", "odd"},
                        new Object[] {"HSET", "h", "e", "8"}));
        for (List<Object[]> run : runs) {
            List<Object> alone = new ArrayList<>();
            for (Object[] cmd : run) {
                alone.add(RawConnection.parse(a.w(cmd)));
            }
            assertEquals(alone, a2.wr(0, run));
        }
        assertEquals(expiry, a2.conn.callParsed("PEXPIRETIME", "h"));
        assertEquals(a.digest(), a2.digest());
        List<String> keys = List.of("h", "hc", "str", "new");
        for (String key : keys) {
            assertEquals(a.meta(key), a2.meta(key), "metadata of " + key);
        }
        // receivers: b takes a's entries one by one, c a2's joined ones
        ship(a, b);
        ship(a2, c);
        assertEquals(a.digest(), b.digest());
        assertEquals(a.digest(), c.digest());
        for (String key : keys) {
            assertEquals(b.meta(key), c.meta(key), "received metadata of " + key);
        }
    }

    @Test
    void receivedRunsOfSetsCountersAndHashFieldsLeaveWhatTheMergeOfEachWriteLeaves() {
        // d's writes reach b and c first: keys whose metadata is a bare stamp, an expiry, another origin's
        // total, a delete under a total, per-member registers and a counted field
        Node d = node("d", "dddddddd");
        Object[][] before = {{"SET", "s-old", "d"}, {"SET", "px", "d", "PX", "600000"}, {"SET", "c-base", "5"},
                {"INCR", "c-d"}, {"SET", "c-odd", "01"}, {"INCR", "c-del"}, {"DEL", "c-del"}, {"HSET", "h", "f", "1", "g", "2"},
                {"HINCRBY", "hc", "n", "1"}, {"SET", "c-str", "x"}};
        for (Object[] cmd : before) {
            d.w(cmd);
        }
        ship(d, b);
        ship(d, c);
        // a's runs: the first earlier than d's writes, the rest later; counters whose totals another write
        // had seen (a SET, a DEL after increments), a key twice in one run, stale and winning stamps
        a.ws(0, "s-old", "a1", "s-new", "a1", "px", "a1", "s-new", "a2");
        a.wr(0, List.of(new Object[] {"INCR", "fresh"}, new Object[] {"INCRBY", "c-base", "2"}, new Object[] {"INCR", "c-d"},
                new Object[] {"HSET", "h", "f", "3", "x", "4"}));
        a.observe(d.clock() + 1);
        a.w("INCR", "c-seen");
        a.w("SET", "c-seen", "10");
        a.w("INCR", "c-gone");
        a.w("DEL", "c-gone");
        a.ws(0, "s-old", "a3", "s-new", "a4", "px", "a3");
        // (the SET between them ends one run of counters: keys of a's totals alone, then keys of d's too)
        a.wr(0, List.of(new Object[] {"INCR", "fresh"}, new Object[] {"DECRBY", "fresh", "5"}, new Object[] {"INCR", "c-seen"},
                new Object[] {"INCR", "c-gone"}, new Object[] {"INCRBY", "c-base", "-3"}, new Object[] {"INCR", "c-odd"},
                new Object[] {"INCR", "c-str"}, new Object[] {"INCRBY", "big", "999999999999999"}));
        a.ws(0, "s-sep", "a");
        a.wr(0, List.of(new Object[] {"INCR", "c-del"}, new Object[] {"INCR", "c-d"}));
        a.wr(0, List.of(new Object[] {"HSET", "h", "f", "5", "g", "6"}, new Object[] {"HSET", "h", "f", "7"},
                new Object[] {"HSET", "hn", "a", "1"}, new Object[] {"HSET", "hc", "n", "5", "m", "6"}));
        a.wr(0, List.<Object[]>of(new Object[] {"INCRBY", "big", "1"}));
        // b applies a's entries as they are (in runs); c the same writes as entries of transactions, which
        // are merged write by write
        List<List<Object>> entries = a.log(a.origin);
        b.apply(a.origin, entries);
        c.apply(a.origin, inTransactions(entries));
        assertEquals(c.digest(), b.digest());
        for (String key : List.of("s-old", "s-new", "s-sep", "px", "fresh", "c-base", "c-d", "c-odd", "c-del", "c-seen", "c-gone",
                "c-str", "big", "h", "hn", "hc")) {
            assertEquals(c.meta(key), b.meta(key), "metadata of " + key);
        }
        // a batch of plain SETs alone, more than one MGET's worth, each key twice
        List<String> sets = new ArrayList<>();
        for (int round = 1; round <= 2; round++) {
            for (int i = 0; i < 300; i++) {
                sets.add(i == 0 ? "s-old" : "m-" + i);
                sets.add("v" + round + "-" + i);
            }
        }
        a.ws(0, sets.toArray(new String[0]));
        List<List<Object>> more = a.log(a.origin).subList(entries.size(), a.log(a.origin).size());
        b.apply(a.origin, more);
        c.apply(a.origin, inTransactions(more));
        assertEquals(c.digest(), b.digest());
        for (String key : List.of("s-old", "m-1", "m-299")) {
            assertEquals(c.meta(key), b.meta(key), "metadata of " + key);
        }
        assertEquals("v2-299", b.conn.callParsed("GET", "m-299"));
        // a batch of hash field writes alone: stale and winning fields of d's hash, a counted field (that
        // key write by write), several fields in one write, a field twice, more than one run's worth of a key
        List<Object[]> hsets = new ArrayList<>();
        hsets.add(new Object[] {"HSET", "h", "f", "8", "g", "9", "y", "1"});
        hsets.add(new Object[] {"HSET", "hc", "n", "7", "o", "1"});
        hsets.add(new Object[] {"HSET", "h", "y", "2"});
        for (int i = 0; i < 300; i++) {
            hsets.add(new Object[] {"HSET", "hm", "f" + (i % 280), "v" + i});
        }
        hsets.add(new Object[] {"HSET", "hn", "a", "2", "b", "3"});
        a.wr(0, hsets);
        List<List<Object>> fields = a.log(a.origin).subList(entries.size() + more.size(), a.log(a.origin).size());
        b.apply(a.origin, fields);
        c.apply(a.origin, inTransactions(fields));
        assertEquals(c.digest(), b.digest());
        for (String key : List.of("h", "hc", "hm", "hn")) {
            assertEquals(c.metaFields(key), b.metaFields(key), "metadata of " + key);
        }
        assertEquals(281, b.metaFields("hm").size());
        assertEquals("v299", b.conn.callParsed("HGET", "hm", "f19"));
        assertEquals("v279", b.conn.callParsed("HGET", "hm", "f279"));
        assertEquals(a.log(a.origin), b.log(a.origin));
        // a batch of counter increments alone: fresh keys, keys holding d's totals too, a key with an expiry
        // (its run write by write), more than one run's worth, and a second db
        List<Object[]> incrs = new ArrayList<>();
        incrs.add(new Object[] {"INCR", "c-d"});
        incrs.add(new Object[] {"INCR", "c-ttl"});
        for (int i = 0; i < 300; i++) {
            incrs.add(new Object[] {"INCRBY", "n-" + (i % 7), String.valueOf(i - 100)});
        }
        incrs.add(new Object[] {"INCR", "c-base"});
        a.w("SET", "c-ttl", "5", "PX", "600000");
        ship(a, b);
        ship(a, c);
        int logged = a.log(a.origin).size();
        a.wr(0, incrs);
        a.wr(1, List.<Object[]>of(new Object[] {"INCR", "n-1"}, new Object[] {"INCR", "n-1"}));
        List<List<Object>> counters = a.log(a.origin).subList(logged, a.log(a.origin).size());
        b.apply(a.origin, counters);
        c.apply(a.origin, inTransactions(counters));
        assertEquals(c.digest(), b.digest());
        for (String key : List.of("c-d", "c-ttl", "n-0", "n-6", "c-base")) {
            assertEquals(c.meta(key), b.meta(key), "metadata of " + key);
        }
        assertEquals(a.log(a.origin), b.log(a.origin));
        assertEquals(a.conn.callParsed("GET", "n-3"), b.conn.callParsed("GET", "n-3"));
        assertEquals("6", b.conn.callParsed("GET", "c-ttl"));
        // and every node converges
        ship(d, a);
        assertEquals(a.digest(), b.digest());
        assertEquals("11", b.conn.callParsed("GET", "c-seen"));
        assertEquals("1", b.conn.callParsed("GET", "c-gone"));
        assertEquals("-3", b.conn.callParsed("GET", "fresh"));
        assertEquals("1000000000000000", b.conn.callParsed("GET", "big"));
    }

    /** Entries as the same writes logged in MULTI transactions (a txn id after the first stamp): merged write by write. */
    private static List<List<Object>> inTransactions(List<List<Object>> entries) {
        List<List<Object>> out = new ArrayList<>();
        for (List<Object> e : entries) {
            List<Object> fields = new ArrayList<>((List<Object>) e.get(1));
            fields.addAll(2, List.of("x", "9" + out.size()));
            out.add(List.of(e.get(0), fields));
        }
        return out;
    }
}
