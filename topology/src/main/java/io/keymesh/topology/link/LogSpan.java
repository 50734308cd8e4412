package io.keymesh.topology.link;

/**
 * What one origin's log on a node holds: its lowest sequence ({@code first}, -1 when the log is
 * empty or absent) and the node's position of that origin ({@code head}, the position vector). The one home of
 * the gap rule: a reader standing at {@code seq} misses nothing when it is at the head or the log
 * still holds {@code seq + 1}.
 */
public record LogSpan(long first, long head) {
    /** An origin expected here whose log holds nothing yet. */
    public static final LogSpan EMPTY = new LogSpan(-1, 0);

    /** True when a reader after {@code seq} misses nothing of this log. */
    public boolean holdsAfter(long seq) {
        return seq >= head || (first >= 0 && first <= seq + 1);
    }

    /** True when entries starting at {@code first} follow a reader (or applier) standing at {@code seq} with no gap. */
    public static boolean follows(long first, long seq) {
        return first <= seq + 1;
    }
}
