package io.keymesh.topology.clock;

/**
 * A hybrid logical timestamp packed in a long: 48 bits of wall-clock milliseconds and 16 bits of
 * logical counter. Packed values order exactly like (millis, logical); ties between nodes are
 * broken by node id, outside this value (see {@link #compare}).
 */
public final class Hlc {
    public static final int LOGICAL_BITS = 16;
    public static final long LOGICAL_MAX = (1L << LOGICAL_BITS) - 1;
    public static final long MILLIS_MAX = (1L << 48) - 1;

    private Hlc() {
    }

    public static long pack(long millis, long logical) {
        if (millis < 0 || millis > MILLIS_MAX) {
            throw new IllegalArgumentException("HLC millis out of range: " + millis);
        }
        if (logical < 0 || logical > LOGICAL_MAX) {
            throw new IllegalArgumentException("HLC logical out of range: " + logical);
        }
        return (millis << LOGICAL_BITS) | logical;
    }

    public static long millis(long hlc) {
        return hlc >>> LOGICAL_BITS;
    }

    public static long logical(long hlc) {
        return hlc & LOGICAL_MAX;
    }

    /** Total order of (timestamp, node id): the later write wins an LWW merge. */
    public static int compare(long hlcA, String nodeA, long hlcB, String nodeB) {
        int c = Long.compareUnsigned(hlcA, hlcB);
        return c != 0 ? c : nodeA.compareTo(nodeB);
    }

    public static String toString(long hlc) {
        return millis(hlc) + "." + logical(hlc);
    }
}
