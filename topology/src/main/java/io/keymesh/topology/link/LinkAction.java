package io.keymesh.topology.link;

import io.keymesh.topology.wire.LinkFrame;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a link state machine ({@link PullMachine}, {@link SendMachine}) asks its driver to do. The
 * machines do no I/O and read no clock: a driver performs each action and reports the outcome as
 * the matching event (see docs/design/links.md for the table).
 */
public sealed interface LinkAction {

    /** Both: write {@code frame} to the other end. */
    record Send(LinkFrame frame) implements LinkAction {
    }

    /** Both: close the connection (the machine has already moved on; no event needs to follow). */
    record Close(String reason) implements LinkAction {
    }

    /** Both: call {@code onTimer} once the monotonic clock reaches {@code atNanos} (at once when it has). */
    record Timer(long atNanos) implements LinkAction {
    }

    /** Puller: open a connection to the upstream; then {@code onConnected} or {@code onClosed}. */
    record Connect() implements LinkAction {
    }

    /**
     * Puller: the handshake, one isolated step (HELLO, its checks, and whatever authentication the
     * protocol adds), then read this node's positions; then {@code onHandshake} or {@code onClosed}.
     */
    record Handshake() implements LinkAction {
    }

    /** Puller: send {@code KEYMESH PULL <role> <origin> <seq> ...} with {@code positions}. */
    record Pull(String role, Map<String, Long> positions) implements LinkAction {
        public Pull {
            positions = Collections.unmodifiableSortedMap(new TreeMap<>(positions));   // ordered: deterministic
        }
    }

    /** Puller: apply {@code batch} (the library's remote apply); then {@code onApplied(origin, position)}. */
    record Apply(LinkFrame.Batch batch) implements LinkAction {
    }

    /** Puller: merge one snapshot frame (SnapshotFlush, SnapshotLibrary or SnapshotKey); then {@code onSnapshotApplied}. */
    record ApplySnapshot(LinkFrame frame) implements LinkAction {
    }

    /** Puller: raise this node's position of {@code origin} to at least {@code seq}; then {@code onApplied}. */
    record RaisePosition(String origin, long seq) implements LinkAction {
    }

    /** Puller: publish a relayed PUBLISH to local subscribers (fire and forget). */
    record Deliver(LinkFrame.Publish publish) implements LinkAction {
    }

    /** Puller: read this node's whole position vector; then {@code onPositions}. */
    record ReadPositions() implements LinkAction {
    }

    /**
     * Sender: read at most {@code count} entries of {@code origin}'s log after {@code afterSeq};
     * then {@code onRead(origin, afterSeq, entries)}.
     */
    record ReadLog(String origin, long afterSeq, int count) implements LinkAction {
    }

    /**
     * Sender: nothing to send; wait until some log in {@code after} grows past its sequence or the
     * clock reaches {@code untilNanos}, then {@code onWake}.
     */
    record AwaitLogs(Map<String, Long> after, long untilNanos) implements LinkAction {
        public AwaitLogs {
            after = Collections.unmodifiableSortedMap(new TreeMap<>(after));
        }
    }

    /** Sender: report every origin's log here (first and head, expected origins included); then {@code onLogs}. */
    record CheckLogs() implements LinkAction {
    }

    /**
     * Sender: send the Sync frame of a snapshot and every key of this node; then {@code
     * onSnapshotSent} (the machine then sends one SnapshotEnd per origin).
     */
    record SendSnapshot() implements LinkAction {
    }

    /** Sender: send a Heartbeat carrying this node's current stamp and {@code headSeq}. */
    record SendHeartbeat(long headSeq) implements LinkAction {
    }
}
