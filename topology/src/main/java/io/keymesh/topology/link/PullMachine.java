package io.keymesh.topology.link;

import io.keymesh.storage.retry.Backoff;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.LogEntryGrammar;
import io.keymesh.topology.wire.SnapshotChecks;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The pulling side of a link (a primary's link to a peer, a replica's link to its upstream) as a
 * state machine: connect, handshake, PULL with this node's position of every origin, then apply
 * what arrives, one apply at a time and in order, acknowledging each; reconnect with backoff after
 * any failure. Pulls every origin the upstream serves (its own log and those it relays), never this
 * node's own. An origin's entries are applied at most once per position: a batch wholly at or below
 * the position is skipped (counted as duplicate), one starting past {@code position + 1} closes the
 * link (the upstream resyncs it), and so does one with a field the apply library cannot read (a stamp
 * that is not one, a database that is not a user database, a malformed counter vector, stream ID or
 * packed field: {@link LogEntryGrammar}), before any of it is applied. Snapshot frames other than
 * SnapshotEnd are taken only during a snapshot (between a snapshot's Sync and its first SnapshotEnd),
 * and a SnapshotEnd only on a connection whose Sync began a snapshot, once per origin; anywhere else
 * they close the link, and so does a snapshot frame the apply library would take for what it is
 * not ({@link SnapshotChecks}), before any of it is merged. Events in, {@link LinkAction}s out; no I/O, no clock (time is the
 * {@code nowNanos} argument, monotonic). Not thread-safe: one driver owns it.
 */
public final class PullMachine {
    /** Where the link stands. */
    public enum State { IDLE, CONNECTING, HANDSHAKE, SYNCING, SNAPSHOT, STREAMING, BACKOFF, CLOSED }

    private final String selfId;
    private final int databases;
    private final String role;
    private final long linkTimeoutNanos;
    private final Backoff backoff;
    private final Map<String, Long> positions = new TreeMap<>();     // sorted: the same events give the same actions
    private final Deque<LinkFrame> queued = new ArrayDeque<>();
    private final Set<String> snapshotEnded = new HashSet<>();     // origins whose SnapshotEnd came on this connection
    private boolean snapshotSynced;                                // this connection's Sync began a snapshot
    private State state = State.IDLE;
    private String upstreamId = "";
    private String lastError = "";
    private long lastHeardNanos;
    private long retryAtNanos;
    private long upstreamHead;
    private boolean inFlight;
    private long duplicates;

    /** A puller for node {@code selfId} pulling as {@code role} ("peer" or "replica") into {@code databases} user databases. */
    public PullMachine(String selfId, String role, LinkSettings settings, int databases) {
        this.selfId = selfId;
        this.databases = databases;
        this.role = role;
        this.linkTimeoutNanos = settings.linkTimeoutMillis() * 1_000_000L;
        this.backoff = new Backoff(settings.reconnectMinMillis(), settings.reconnectMaxMillis());
    }

    public State state() {
        return state;
    }

    /** The upstream's node id, once a handshake named it ("" before). */
    public String upstreamId() {
        return upstreamId;
    }

    /** Why the link last went down ("" while it streams). */
    public String lastError() {
        return lastError;
    }

    /** The head the upstream last announced in a heartbeat. */
    public long upstreamHead() {
        return upstreamHead;
    }

    /** This node's position of each origin as this link knows it (a copy). */
    public Map<String, Long> positions() {
        return Map.copyOf(positions);
    }

    /** This node's position of {@code origin} as this link knows it (0 before any). */
    public long position(String origin) {
        return positions.getOrDefault(origin, 0L);
    }

    /** Batches received whose entries were all applied already (carried by another link too). */
    public long duplicates() {
        return duplicates;
    }

    /** Starts: connect now. */
    public List<LinkAction> start(long nowNanos) {
        if (state != State.IDLE) {
            return List.of();
        }
        state = State.CONNECTING;
        return List.of(new LinkAction.Connect());
    }

    /** The connection is open: handshake. */
    public List<LinkAction> onConnected(long nowNanos) {
        if (state != State.CONNECTING) {
            return List.of();
        }
        state = State.HANDSHAKE;
        lastHeardNanos = nowNanos;
        return List.of(new LinkAction.Handshake(), new LinkAction.Timer(nowNanos + linkTimeoutNanos));
    }

    /** The handshake succeeded with node {@code upstream}; {@code current} is this node's position vector. */
    public List<LinkAction> onHandshake(String upstream, Map<String, Long> current, long nowNanos) {
        if (state != State.HANDSHAKE) {
            return List.of();
        }
        upstreamId = upstream;
        current.forEach((origin, seq) -> positions.merge(origin, seq, Math::max));
        Map<String, Long> pull = new TreeMap<>(positions);
        pull.remove(selfId);
        state = State.SYNCING;
        lastHeardNanos = nowNanos;
        return List.of(new LinkAction.Pull(role, pull));
    }

    /** A frame arrived from the upstream. */
    public List<LinkAction> onFrame(LinkFrame frame, long nowNanos) {
        if (!connected()) {
            return List.of();
        }
        lastHeardNanos = nowNanos;
        if (inFlight) {
            queued.add(frame);
            return List.of();
        }
        return handle(frame, nowNanos);
    }

    /** The batch or position raise asked for last is done: this node's position of {@code origin} is {@code position}. */
    public List<LinkAction> onApplied(String origin, long position, long nowNanos) {
        positions.merge(origin, position, Math::max);
        inFlight = false;
        if (!connected()) {
            return List.of();
        }
        List<LinkAction> out = new ArrayList<>();
        out.add(new LinkAction.Send(new LinkFrame.Ack(origin, positions.get(origin))));
        drain(out, nowNanos);
        return out;
    }

    /** The snapshot frame asked for last is merged. */
    public List<LinkAction> onSnapshotApplied(long nowNanos) {
        inFlight = false;
        if (!connected()) {
            return List.of();
        }
        List<LinkAction> out = new ArrayList<>();
        drain(out, nowNanos);
        return out;
    }

    /**
     * This node's whole position vector (asked for after a heartbeat): acknowledged for every
     * origin but this node's own, so the upstream knows how far this node stands whichever link
     * brought the entries (it relays only what this node lacks and keeps its logs for it).
     */
    public List<LinkAction> onPositions(Map<String, Long> current, long nowNanos) {
        current.forEach((origin, seq) -> positions.merge(origin, seq, Math::max));
        if (!connected()) {
            return List.of();
        }
        List<LinkAction> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : positions.entrySet()) {
            if (!e.getKey().equals(selfId)) {
                out.add(new LinkAction.Send(new LinkFrame.Ack(e.getKey(), e.getValue())));
            }
        }
        if (out.isEmpty()) {
            out.add(new LinkAction.Send(new LinkFrame.Ack(upstreamId, 0)));   // still alive
        }
        return out;
    }

    /** The clock reached a time asked for: link timeout, or the end of a backoff. */
    public List<LinkAction> onTimer(long nowNanos) {
        if (state == State.BACKOFF) {
            if (nowNanos < retryAtNanos) {
                return List.of(new LinkAction.Timer(retryAtNanos));
            }
            state = State.CONNECTING;
            return List.of(new LinkAction.Connect());
        }
        if (connected() && state != State.CONNECTING) {
            long deadline = lastHeardNanos + linkTimeoutNanos;
            if (nowNanos >= deadline && !inFlight) {
                return fail("no frame from " + upstreamName() + " for " + linkTimeoutNanos / 1_000_000 + " ms", nowNanos,
                        true);
            }
            return List.of(new LinkAction.Timer(inFlight ? nowNanos + linkTimeoutNanos : deadline));
        }
        return List.of();
    }

    /** The connection failed or closed (connect, handshake or stream), or the upstream refused; retry after the backoff. */
    public List<LinkAction> onClosed(String reason, long nowNanos) {
        if (state == State.CLOSED || state == State.BACKOFF || state == State.IDLE) {
            return List.of();
        }
        return fail(reason, nowNanos, false);
    }

    /**
     * The upstream to follow changed (a replica's selection): drop the connection and connect at
     * once, whatever the backoff says.
     */
    public List<LinkAction> onUpstreamChanged(long nowNanos) {
        if (state == State.CLOSED || state == State.IDLE) {
            return List.of();
        }
        List<LinkAction> out = new ArrayList<>(2);
        if (connected()) {
            out.add(new LinkAction.Close("upstream changed"));
        }
        queued.clear();
        inFlight = false;
        state = State.CONNECTING;
        out.add(new LinkAction.Connect());
        return out;
    }

    /** Ends the link for good. */
    public List<LinkAction> close() {
        boolean open = connected();
        state = State.CLOSED;
        queued.clear();
        return open ? List.of(new LinkAction.Close("link closed")) : List.of();
    }

    private boolean connected() {
        return state == State.CONNECTING || state == State.HANDSHAKE || state == State.SYNCING
                || state == State.SNAPSHOT || state == State.STREAMING;
    }

    private void drain(List<LinkAction> out, long nowNanos) {
        while (!inFlight && !queued.isEmpty() && connected()) {
            out.addAll(handle(queued.poll(), nowNanos));
        }
    }

    private List<LinkAction> handle(LinkFrame frame, long nowNanos) {
        if (state == State.SYNCING) {
            if (!(frame instanceof LinkFrame.Sync sync)) {
                return fail("expected Sync, got " + frame, nowNanos, true);
            }
            snapshotSynced = sync.mode().equals(LinkFrame.Sync.SNAPSHOT);
            snapshotEnded.clear();
            state = snapshotSynced ? State.SNAPSHOT : State.STREAMING;
            backoff.reset();
            lastError = "";
            return List.of(new LinkAction.Timer(nowNanos + linkTimeoutNanos));
        }
        if (frame instanceof LinkFrame.Batch batch) {
            return batch(batch, nowNanos);
        }
        if (frame instanceof LinkFrame.Heartbeat hb) {
            upstreamHead = hb.headSeq();
            return List.of(new LinkAction.ReadPositions());
        }
        if (frame instanceof LinkFrame.SnapshotFlush || frame instanceof LinkFrame.SnapshotLibrary
                || frame instanceof LinkFrame.SnapshotKey) {
            if (state != State.SNAPSHOT) {
                // a sender sends these only between a snapshot's Sync and its SnapshotEnd frames
                return fail(upstreamName() + " sent " + frame.getClass().getSimpleName()
                        + " outside a snapshot (refused: a sender sends it only during a snapshot)", nowNanos, true);
            }
            String broken = SnapshotChecks.of(frame, databases);
            if (broken != null) {
                return fail(upstreamName() + " sent " + describe(frame) + " with " + broken
                        + " (refused before merging any of it)", nowNanos, true);
            }
            inFlight = true;
            return List.of(new LinkAction.ApplySnapshot(frame));
        }
        if (frame instanceof LinkFrame.SnapshotEnd end) {
            String broken = SnapshotChecks.end(end, selfId);
            if (broken != null) {
                return fail(upstreamName() + " sent " + broken + " (refused)", nowNanos, true);
            }
            if (!snapshotSynced || !snapshotEnded.add(end.origin())) {
                // a sender ends a snapshot once per origin, on the connection it began it on
                return fail(upstreamName() + " sent SnapshotEnd of " + end.origin() + (snapshotSynced
                        ? " twice (refused: a sender ends a snapshot once per origin)"
                        : " on a streaming link (refused: a sender sends it only to end a snapshot)"), nowNanos, true);
            }
            state = State.STREAMING;
            inFlight = true;
            return List.of(new LinkAction.RaisePosition(end.origin(), end.seq()));
        }
        if (frame instanceof LinkFrame.Publish pub) {
            return List.of(new LinkAction.Deliver(pub));
        }
        return fail("unexpected frame on a pulling link: " + frame, nowNanos, true);
    }

    private List<LinkAction> batch(LinkFrame.Batch batch, long nowNanos) {
        if (batch.entries().isEmpty()) {
            return List.of();
        }
        String malformed = malformed(batch);
        if (malformed != null) {
            return fail(upstreamName() + " sent a batch of " + batch.origin() + " with " + malformed, nowNanos, true);
        }
        if (batch.origin().equals(selfId)) {
            return fail(upstreamName() + " sent this node's own log back (origin " + selfId + ")", nowNanos, true);
        }
        long position = position(batch.origin());
        long first = batch.entries().get(0).seq();
        if (!LogSpan.follows(first, position)) {
            return fail("batch of " + batch.origin() + " starts at " + first + " but this node stands at " + position,
                    nowNanos, true);
        }
        if (batch.lastSeq() <= position) {
            duplicates++;
            return List.of(new LinkAction.Send(new LinkFrame.Ack(batch.origin(), position)));
        }
        inFlight = true;
        return List.of(new LinkAction.Apply(batch));
    }

    /** Why {@code batch} holds an entry the apply library cannot read ({@link LogEntryGrammar}), or null. */
    private String malformed(LinkFrame.Batch batch) {
        for (LogEntry e : batch.entries()) {
            String why = LogEntryGrammar.malformed(e, databases);
            if (why != null) {
                return why;
            }
        }
        return null;
    }

    /** A snapshot frame for a refusal: its kind, and a key's database and name. */
    private static String describe(LinkFrame frame) {
        if (frame instanceof LinkFrame.SnapshotKey k) {
            return "SnapshotKey " + Stamp.quote(new String(k.key(), java.nio.charset.StandardCharsets.ISO_8859_1))
                    + " of db " + k.db();
        }
        return frame.getClass().getSimpleName();
    }

    private List<LinkAction> fail(String reason, long nowNanos, boolean close) {
        lastError = reason;
        queued.clear();
        inFlight = false;
        state = State.BACKOFF;
        retryAtNanos = nowNanos + backoff.next() * 1_000_000L;
        List<LinkAction> out = new ArrayList<>(2);
        if (close) {
            out.add(new LinkAction.Close(reason));
        }
        out.add(new LinkAction.Timer(retryAtNanos));
        return out;
    }

    private String upstreamName() {
        return upstreamId.isEmpty() ? "upstream" : upstreamId;
    }
}
