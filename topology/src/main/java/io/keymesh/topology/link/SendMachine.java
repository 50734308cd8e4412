package io.keymesh.topology.link;

import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sending side of a link as a state machine, one for peers and replicas alike. It serves the
 * puller from its position vector: a replica gets every origin's log at once; a peer gets this
 * node's own log at once and another origin's log (relaying) only while the peer lags behind this
 * node on it for longer than {@link #relayDelayNanos} (so in a connected mesh each origin's entries
 * reach a node by its direct link, and by a relay only when that link is cut). It never sends the
 * puller its own origin (no echo). When an origin it must serve at once no longer holds the
 * puller's position it sends a snapshot first. Reads are sized by bytes through one
 * {@link LogCursor} per origin, only while the channel is writable; heartbeats every
 * {@code heartbeatMillis} also check that the logs still hold what the link has not read (or at
 * least what the puller acknowledged past it, applied through another link: then it goes on from
 * there, {@link #skips()}), and send
 * an origin again from the puller's acknowledged position when that stopped below what was sent
 * ({@link #resends()}). Events
 * in, {@link LinkAction}s out; no I/O, no clock (time is the {@code nowNanos} argument). Not
 * thread-safe: one driver owns it.
 */
public final class SendMachine {
    /** Origin name of the Sync frame that opens a link. */
    public static final String ALL_ORIGINS = "*";

    /** Where the link stands. */
    public enum State { OPENING, SNAPSHOT, STREAMING, CLOSED }

    private final String selfId;
    private final String pullerId;
    private final boolean replica;
    private final LinkSettings settings;
    private final long heartbeatNanos;
    private final long relayDelayNanos;
    private final Map<String, Long> acked = new TreeMap<>();
    private final Map<String, Origin> origins = new TreeMap<>();    // sorted: the same events give the same actions
    private final Map<String, Long> snapshotHeads = new LinkedHashMap<>();
    private State state = State.OPENING;
    private boolean writable = true;
    private boolean checking;
    private long nextHeartbeatNanos;
    private long lingerUntilNanos;
    private long gapCloses;
    private long resends;
    private long skips;
    /** Heartbeats in a row with the puller's acknowledged position unmoved below what was sent before a resend. */
    static final int STALLED_CHECKS_MAX = 2;

    /** One origin this link knows of. */
    private static final class Origin {
        final String id;
        final boolean atOnce;          // served from the start: this node's own log, or any for a replica
        final Deque<long[]> heads = new ArrayDeque<>();    // (nanos, head) at recent heartbeats
        LogCursor cursor;              // non-null while served
        boolean reading;
        boolean idle;                  // the last read found nothing new: wait for a wake-up
        int asked;
        long head;
        long base;                     // where the cursor began to stream (the PULL's position, a snapshot's head)
        long stalledAck = -1;          // the acknowledged position below what was sent, as last seen at a heartbeat
        long stalledSent = -1;
        int stalledChecks;             // heartbeats in a row that saw both unchanged

        Origin(String id, boolean atOnce) {
            this.id = id;
            this.atOnce = atOnce;
        }
    }

    /**
     * A sender on node {@code selfId} for {@code pullerId} pulling as a replica or a peer, from
     * {@code from} (the PULL position vector; origins it lacks stand at 0).
     */
    public SendMachine(String selfId, String pullerId, boolean replica, Map<String, Long> from, LinkSettings settings) {
        this.selfId = selfId;
        this.pullerId = pullerId;
        this.replica = replica;
        this.settings = settings;
        this.heartbeatNanos = settings.heartbeatMillis() * 1_000_000L;
        this.relayDelayNanos = replica ? 0 : 2 * heartbeatNanos;
        acked.putAll(from);
    }

    public State state() {
        return state;
    }

    /** True once the first frame (Sync) is decided, so live publishes may follow. */
    public boolean opened() {
        return state == State.SNAPSHOT || state == State.STREAMING;
    }

    /** The puller's acknowledged position of each origin (a copy). */
    public Map<String, Long> acked() {
        return Map.copyOf(acked);
    }

    /** The puller's acknowledged position of {@code origin} (0 before any). */
    public long ackedOf(String origin) {
        return acked.getOrDefault(origin, 0L);
    }

    /** How far this link has sent each origin it serves now (a copy). */
    public Map<String, Long> sent() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Origin o : origins.values()) {
            if (o.cursor != null) {
                out.put(o.id, o.cursor.sent());
            }
        }
        return out;
    }

    /** Origins served now by relaying (another origin's log sent to a peer). */
    public List<String> relaying() {
        List<String> out = new ArrayList<>();
        for (Origin o : origins.values()) {
            if (o.cursor != null && !o.atOnce) {
                out.add(o.id);
            }
        }
        return out;
    }

    /** The head this link last announced: this node's own position for a peer, the sum over origins for a replica. */
    public long head() {
        if (!replica) {
            Origin own = origins.get(selfId);
            return own == null ? 0 : own.head;
        }
        long sum = 0;
        for (Origin o : origins.values()) {
            sum += o.head;
        }
        return sum;
    }

    /** Starts: ask for the logs. */
    public List<LinkAction> open(long nowNanos) {
        checking = true;
        return List.of(new LinkAction.CheckLogs());
    }

    /** Every origin's log on this node (expected origins with no log yet as {@link LogSpan#EMPTY}). */
    public List<LinkAction> onLogs(Map<String, LogSpan> logs, long nowNanos) {
        checking = false;
        List<LinkAction> out = new ArrayList<>();
        if (state == State.CLOSED) {
            return out;
        }
        if (state == State.OPENING) {
            return opening(logs, nowNanos);
        }
        for (Map.Entry<String, LogSpan> e : logs.entrySet()) {
            String id = e.getKey();
            LogSpan span = e.getValue();
            if (id.equals(pullerId) || id.isEmpty()) {
                continue;
            }
            Origin o = origins.get(id);
            if (o == null) {
                o = new Origin(id, replica || id.equals(selfId));
                origins.put(id, o);
                if (o.atOnce) {
                    if (!span.holdsAfter(0)) {
                        return close("new origin " + id + " no longer starts at 1 (first " + span.first()
                                + "); resync by snapshot");
                    }
                    o.cursor = new LogCursor(id, 0, settings);
                }
            }
            o.head = Math.max(o.head, span.head());
            if (o.cursor != null && span.head() > o.cursor.read()) {
                o.idle = false;
            }
            o.heads.add(new long[] {nowNanos, span.head()});
            while (o.heads.size() > 2 && o.heads.peekFirst()[0] < nowNanos - relayDelayNanos - 2 * heartbeatNanos) {
                o.heads.pollFirst();
            }
            if (o.cursor != null && !span.holdsAfter(o.cursor.read()) && !skipToAck(o, span)) {
                String why = "log of " + id + " no longer holds " + (o.cursor.read() + 1) + " (first " + span.first() + ")";
                if (o.atOnce) {
                    gapCloses++;
                    return close(why + "; closing so " + pullerId + " resyncs by snapshot");
                }
                o.cursor = null;        // relaying can no longer serve it from where it stands
                continue;
            }
            if (o.cursor != null && state == State.STREAMING) {
                resendIfStalled(o);
            }
            if (!o.atOnce && state == State.STREAMING) {
                relayDecision(o, span, nowNanos);
            }
        }
        out.add(new LinkAction.SendHeartbeat(head()));
        nextHeartbeatNanos = nowNanos + heartbeatNanos;
        pump(out, nowNanos);
        return out;
    }

    /** The snapshot's keys are sent: end it per origin and stream from the heads it covered. */
    public List<LinkAction> onSnapshotSent(long nowNanos) {
        List<LinkAction> out = new ArrayList<>();
        if (state != State.SNAPSHOT) {
            return out;
        }
        for (Map.Entry<String, Long> h : snapshotHeads.entrySet()) {
            out.add(new LinkAction.Send(new LinkFrame.SnapshotEnd(h.getKey(), h.getValue())));
            Origin o = origins.get(h.getKey());
            if (o != null && o.cursor != null) {
                o.cursor.restartAt(Math.max(o.cursor.read(), h.getValue()));
                o.base = o.cursor.sent();
            }
        }
        state = State.STREAMING;
        nextHeartbeatNanos = nowNanos;
        pump(out, nowNanos);
        return out;
    }

    /** A read asked for by {@link LinkAction.ReadLog} returned {@code entries}. */
    public List<LinkAction> onRead(String origin, long afterSeq, List<LogEntry> entries, long nowNanos) {
        List<LinkAction> out = new ArrayList<>();
        Origin o = origins.get(origin);
        if (o == null || state == State.CLOSED) {
            return out;
        }
        o.reading = false;
        if (o.cursor == null || o.cursor.read() != afterSeq) {
            pump(out, nowNanos);            // a read that no longer counts (relaying stopped or restarted)
            return out;
        }
        boolean follows = o.cursor.onRead(entries, o.asked);
        if (!follows && skipToAck(o, new LogSpan(entries.get(0).seq(), o.head))) {
            pump(out, nowNanos);
            return out;
        }
        if (!follows) {
            String why = "log of " + origin + " no longer holds " + (afterSeq + 1) + " (first " + entries.get(0).seq() + ")";
            if (o.atOnce) {
                gapCloses++;
                return close(why + "; closing so " + pullerId + " resyncs by snapshot");
            }
            o.cursor = null;
        } else if (entries.isEmpty()) {
            o.idle = true;
        }
        pump(out, nowNanos);
        return out;
    }

    /**
     * The puller acknowledged {@code origin} up to {@code seq} (applied there, by this link or
     * another). The driver passes only origins the PULL named or this node logs ({@link SendLink#onAck}).
     */
    public List<LinkAction> onAck(String origin, long seq, long nowNanos) {
        acked.merge(origin, seq, Math::max);
        return List.of();
    }

    /** The channel's writability changed (or is reported after a round of sends). */
    public List<LinkAction> onWritable(boolean isWritable, long nowNanos) {
        writable = isWritable;
        List<LinkAction> out = new ArrayList<>();
        pump(out, nowNanos);
        return out;
    }

    /** A timer asked for by {@link LinkAction.Timer} fired. */
    public List<LinkAction> onTimer(long nowNanos) {
        List<LinkAction> out = new ArrayList<>();
        pump(out, nowNanos);
        return out;
    }

    /** A wait asked for by {@link LinkAction.AwaitLogs} ended: a log grew, or its time passed. */
    public List<LinkAction> onWake(long nowNanos) {
        for (Origin o : origins.values()) {
            o.idle = false;
        }
        return onTimer(nowNanos);
    }

    /** The connection closed. */
    public List<LinkAction> onClosed(long nowNanos) {
        state = State.CLOSED;
        return List.of();
    }

    /** Links this machine closed because a log no longer held what the puller needed. */
    public long gapCloses() {
        return gapCloses;
    }

    /** Times a served origin's cursor moved on to the puller's acknowledged position past a trimmed log ({@link #skipToAck}). */
    public long skips() {
        return skips;
    }

    /** Times a served origin was sent again from the puller's acknowledged position ({@link #resendIfStalled}). */
    public long resends() {
        return resends;
    }

    private List<LinkAction> opening(Map<String, LogSpan> logs, long nowNanos) {
        boolean snapshot = false;
        for (Map.Entry<String, LogSpan> e : logs.entrySet()) {
            String id = e.getKey();
            if (id.equals(pullerId) || id.isEmpty()) {
                continue;
            }
            LogSpan span = e.getValue();
            Origin o = new Origin(id, replica || id.equals(selfId));
            o.head = span.head();
            o.heads.add(new long[] {nowNanos, span.head()});
            origins.put(id, o);
            long from = ackedOf(id);
            if (o.atOnce) {
                o.cursor = new LogCursor(id, from, settings);
                o.base = from;
                if (!span.holdsAfter(from)) {
                    snapshot = true;
                }
            }
        }
        List<LinkAction> out = new ArrayList<>();
        if (snapshot) {
            state = State.SNAPSHOT;
            for (Origin o : origins.values()) {
                snapshotHeads.put(o.id, o.head);
            }
            out.add(new LinkAction.SendSnapshot());
            return out;
        }
        state = State.STREAMING;
        out.add(new LinkAction.Send(new LinkFrame.Sync(LinkFrame.Sync.PARTIAL, ALL_ORIGINS, 0)));
        nextHeartbeatNanos = nowNanos + heartbeatNanos;
        pump(out, nowNanos);
        return out;
    }

    /**
     * Relays another origin while the peer stands below the head this node had {@link
     * #relayDelayNanos} ago (its own way to that origin is cut or slower), and stops once the peer
     * has caught up with this node's head.
     */
    private void relayDecision(Origin o, LogSpan span, long nowNanos) {
        long reported = ackedOf(o.id);
        if (o.cursor != null) {
            if (reported >= span.head()) {
                o.cursor = null;
            }
            return;
        }
        long past = headAt(o, nowNanos - relayDelayNanos);
        if (past >= 0 && reported < past && span.holdsAfter(reported)) {
            o.cursor = new LogCursor(o.id, reported, settings);
            o.base = reported;
            o.idle = false;
        }
    }

    /**
     * Sends {@code o} again from the puller's acknowledged position when that position stands below
     * what was sent (and at or past where streaming began, so a snapshot still being merged does not
     * count) and neither it nor what was sent moved over {@link #STALLED_CHECKS_MAX} heartbeats while
     * the channel was writable. The puller acknowledges every applied batch and answers every
     * heartbeat, so only a batch lost inside a connection that stays open (which TCP never does, a
     * faulty transport or driver might) or an apply stuck that long gets here; the puller skips what
     * it already has (duplicates rule), and without this a lost last batch would leave it waiting
     * until the origin's next write showed the gap.
     */
    private void resendIfStalled(Origin o) {
        long ack = ackedOf(o.id);
        long sent = o.cursor.sent();
        if (ack >= sent || ack < o.base || !writable) {
            o.stalledChecks = 0;
            return;
        }
        if (ack != o.stalledAck || sent != o.stalledSent) {
            o.stalledAck = ack;
            o.stalledSent = sent;
            o.stalledChecks = 0;
            return;
        }
        if (++o.stalledChecks >= STALLED_CHECKS_MAX) {
            o.cursor.restartAt(ack);
            o.idle = false;
            o.stalledChecks = 0;
            resends++;
        }
    }

    /**
     * The log of {@code o} (now {@code span}) no longer holds what its cursor would read next: when
     * the puller has acknowledged past the cursor a position the log still holds (it applied those
     * entries through another link, a peer relaying them, and retention followed its
     * acknowledgement), the cursor moves on to that position and streaming goes on (true); else the
     * gap stands (false).
     */
    private boolean skipToAck(Origin o, LogSpan span) {
        long ack = ackedOf(o.id);
        if (ack <= o.cursor.read() || !span.holdsAfter(ack)) {
            return false;
        }
        o.cursor.restartAt(ack);
        o.idle = false;
        skips++;
        return true;
    }

    /** The head of {@code o} at the latest heartbeat at or before {@code atNanos}, or -1 when none is that old. */
    private static long headAt(Origin o, long atNanos) {
        long head = -1;
        for (long[] h : o.heads) {
            if (h[0] <= atNanos) {
                head = h[1];
            }
        }
        return head;
    }

    private void pump(List<LinkAction> out, long nowNanos) {
        if (state != State.STREAMING || !writable) {
            return;
        }
        if (nowNanos >= nextHeartbeatNanos && !checking) {
            checking = true;
            out.add(new LinkAction.CheckLogs());
        }
        if (nowNanos < lingerUntilNanos) {
            out.add(new LinkAction.Timer(lingerUntilNanos));
            return;
        }
        boolean sent = false;
        boolean reading = false;
        Map<String, Long> waitOn = new LinkedHashMap<>();
        for (Origin o : origins.values()) {
            if (o.cursor == null) {
                continue;
            }
            LinkFrame.Batch batch = o.cursor.nextBatch();
            if (batch != null) {
                out.add(new LinkAction.Send(batch));
                sent = true;
                o.head = Math.max(o.head, batch.lastSeq());
                lingerUntilNanos = Math.max(lingerUntilNanos, nowNanos + settings.lingerNanosAfter(batch.entries()));
            } else if (!o.reading && !o.idle) {
                o.reading = true;
                o.asked = o.cursor.readCount();
                out.add(new LinkAction.ReadLog(o.id, o.cursor.read(), o.asked));
            }
            reading |= o.reading;
            waitOn.put(o.id, o.cursor.read());
        }
        if (sent) {
            out.add(new LinkAction.Timer(Math.max(nowNanos, lingerUntilNanos)));
        } else if (!reading && !checking) {
            out.add(new LinkAction.AwaitLogs(waitOn, nextHeartbeatNanos));
        }
    }

    private List<LinkAction> close(String reason) {
        state = State.CLOSED;
        return List.of(new LinkAction.Close(reason));
    }
}
