package io.keymesh.topology.node;

/**
 * Where to trim an origin's log. Pure: entries acknowledged by every peer are not needed for
 * partial resync and go; entries older than the retention age, or beyond the retention bytes,
 * go even when a peer has not acknowledged them (that peer resyncs by snapshot), so a peer that
 * stays away cannot make the log grow without bound. The newest entry always stays: its stamp
 * is what a restarted node seeds its clock past (and a log that still names its head lets a peer
 * at the head resume partially).
 */
public final class RetentionPolicy {
    private RetentionPolicy() {
    }

    /**
     * The sequence to trim up to (inclusive), or {@code first - 1} for nothing; never the head entry.
     *
     * @param ackFloor acknowledged by all peers, or -1 when unknown
     * @param ageFloor last entry older than the retention age, or first - 1
     * @param bytesFloor last entry to drop to fit the byte budget, or first - 1
     */
    public static long trimTo(long first, long head, long ackFloor, long ageFloor, long bytesFloor) {
        long to = Math.max(ackFloor, Math.max(ageFloor, bytesFloor));
        return Math.max(first - 1, Math.min(to, head - 1));
    }

    /**
     * How many times its retention bytes a log may grow while a link connected now still reads the
     * entries retention would drop: past that hard cap they go all the same (that link resyncs by snapshot).
     */
    public static final int HOLD_FACTOR = 4;

    /**
     * Where retention by age and bytes trims ({@code retentionFloor}), held back to what every link
     * connected now has acknowledged ({@code readingFloor}): a link that streams slows trimming
     * rather than being dropped beneath.
     */
    public static long held(long retentionFloor, long readingFloor) {
        return Math.min(retentionFloor, readingFloor);
    }

    /** The last entry to drop so that about {@code bytesMax} remain, given the log's length and size. */
    public static long bytesFloor(long first, long length, long bytes, long bytesMax) {
        if (bytesMax <= 0 || bytes <= bytesMax || length <= 0) {
            return first - 1;
        }
        long keep = (long) Math.floor((double) length * bytesMax / bytes);
        return first + (length - keep) - 1;
    }
}
