package io.keymesh.proxy.mesh;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling with a deadline: conditions on one node, and convergence of every node's content digest. */
public final class Await {
    private static final long POLL_MILLIS = 100;

    private Await() {
    }

    /** Polls {@code condition} until true; on timeout fails with {@code what} and the current {@code state}. */
    public static void until(Duration timeout, String what, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
                last = null;
            } catch (RuntimeException e) {
                last = e;   // e.g. a node still restarting; keep polling
            }
            sleep(POLL_MILLIS);
        }
        AssertionError failure = new AssertionError("timed out after " + timeout + " waiting until " + what
                + "; now: " + safely(state));
        if (last != null) {
            failure.addSuppressed(last);
        }
        throw failure;
    }

    /** Polls until GET {@code key} on {@code node} returns {@code expected} (null: until the key is absent). */
    public static void value(Duration timeout, MeshNode node, String key, String expected) {
        until(timeout, "GET " + key + " on " + node.name() + " is " + expected,
                () -> java.util.Objects.equals(expected, node.sync().get(key)),
                () -> String.valueOf(node.sync().get(key)));
    }

    /**
     * Polls until every node's content digest is equal (cheap key counts first, then the full
     * digests) and returns the common digest; on timeout the failure lists the first differing keys
     * of each node against the first one, and each node's INFO replication.
     */
    public static ContentDigest converged(Duration timeout, List<MeshNode> nodes) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ContentDigest> digests = null;
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (sameKeyCounts(nodes)) {
                    digests = digests(nodes);
                    if (allSame(digests)) {
                        return digests.get(0);
                    }
                }
                last = null;
            } catch (RuntimeException e) {
                last = e;
            }
            sleep(POLL_MILLIS * 3);
        }
        try {
            digests = digests(nodes);
        } catch (RuntimeException e) {
            AssertionError failure = new AssertionError("nodes did not converge within " + timeout
                    + " and their digests cannot be read: " + e);
            failure.addSuppressed(e);
            throw failure;
        }
        if (allSame(digests)) {
            return digests.get(0);
        }
        StringBuilder msg = new StringBuilder("nodes did not converge within " + timeout + ":");
        for (int i = 0; i < nodes.size(); i++) {
            msg.append("\n  ").append(nodes.get(i)).append(": ").append(digests.get(i).summary());
        }
        for (int i = 1; i < nodes.size(); i++) {
            List<String> diff = digests.get(0).diff(digests.get(i), 10);
            if (!diff.isEmpty()) {
                msg.append("\n  first differences ").append(nodes.get(0).name()).append(" | ").append(nodes.get(i).name()).append(':');
                diff.forEach(d -> msg.append("\n    ").append(d));
            }
        }
        for (MeshNode n : nodes) {
            msg.append("\n  INFO replication of ").append(n.name()).append(":\n").append(safely(() -> n.sync().info("replication")));
        }
        AssertionError failure = new AssertionError(msg.toString());
        if (last != null) {
            failure.addSuppressed(last);
        }
        throw failure;
    }

    private static boolean sameKeyCounts(List<MeshNode> nodes) {
        String first = null;
        for (MeshNode n : nodes) {
            String keyspace = n.sync().info("keyspace").replaceAll(",expires=\\d+,avg_ttl=\\d+", "").trim();
            if (first == null) {
                first = keyspace;
            } else if (!first.equals(keyspace)) {
                return false;
            }
        }
        return true;
    }

    private static List<ContentDigest> digests(List<MeshNode> nodes) {
        List<ContentDigest> out = new ArrayList<>();
        for (MeshNode n : nodes) {
            out.add(ContentDigest.read(n.connection(), MeshFixture.DATABASES));
        }
        return out;
    }

    private static boolean allSame(List<ContentDigest> digests) {
        for (int i = 1; i < digests.size(); i++) {
            if (!digests.get(0).sameContent(digests.get(i))) {
                return false;
            }
        }
        return true;
    }

    private static String safely(Supplier<String> s) {
        try {
            return s.get();
        } catch (RuntimeException e) {
            return "(unavailable: " + e + ")";
        }
    }

    /** Thread.sleep that turns an interrupt into an unchecked failure. */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
