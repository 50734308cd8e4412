package io.keymesh.topology.clock;

/** A remote timestamp ran further ahead of local wall time than the configured maximum offset. */
public final class ClockSkewException extends Exception {
    private final long remoteHlc;
    private final long aheadMillis;

    public ClockSkewException(long remoteHlc, long aheadMillis, long maxOffsetMillis) {
        super("remote timestamp " + Hlc.toString(remoteHlc) + " is " + aheadMillis + " ms ahead of local time (max-clock-offset "
                + maxOffsetMillis + " ms)");
        this.remoteHlc = remoteHlc;
        this.aheadMillis = aheadMillis;
    }

    public long remoteHlc() {
        return remoteHlc;
    }

    public long aheadMillis() {
        return aheadMillis;
    }
}
