package io.keymesh.topology.sim;

import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.link.LinkAction;
import io.keymesh.topology.link.LinkSteps;
import io.keymesh.topology.link.LogSpan;
import io.keymesh.topology.link.LogStore;
import io.keymesh.topology.link.SendMachine;
import io.keymesh.topology.wire.LinkFrame;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Drives the {@link SendMachine} of one simulated connection on the node pulled from, as the
 * production driver does over a channel: reads the node's real logs for {@code CheckLogs} and
 * {@code ReadLog}, sends a snapshot's frames as production's SnapshotWriter makes them, sends frames on the simulated network, and reports writability: the channel is
 * unwritable once more than {@link #WINDOW_BYTES} are in flight toward the puller and writable again
 * below half of it (a socket's send buffer). {@code AwaitLogs} ends at the first tick after a log of
 * the node grew, or at its time.
 */
final class SendDriver extends MachineDriver {
    /** Bytes in flight toward the puller above which the channel is not writable. */
    static final long WINDOW_BYTES = 16 * 1024;

    final SendMachine machine;
    private final SimConnection connection;
    private final LogStore store;
    private boolean writable = true;
    private boolean awaiting;
    private long awaitVersion;
    private long awaitUntilNanos;

    SendDriver(Simulation sim, SimConnection connection, PullRequest request) {
        super(sim, connection.sender);
        this.connection = connection;
        this.store = new LogStore(node.backend(), node.databases());
        this.machine = new SendMachine(node.nodeId(), request.puller(), request.role().equals("replica"), request.positions(),
                node.settings());
    }

    void start() {
        perform(machine.open(sim.nowNanos()));
    }

    @Override
    void act(LinkAction a) throws IOException {
        long now = sim.nowNanos();
        if (a instanceof LinkAction.CheckLogs) {
            Map<String, LogSpan> spans = new TreeMap<>();
            for (String o : store.origins()) {
                spans.put(o, store.span(o));
            }
            for (String o : sim.origins()) {
                spans.putIfAbsent(o, LogSpan.EMPTY);
            }
            perform(machine.onLogs(spans, now));
        } else if (a instanceof LinkAction.ReadLog r) {
            perform(machine.onRead(r.origin(), r.afterSeq(), store.range(r.origin(), r.afterSeq(), r.count()), now));
        } else if (a instanceof LinkAction.AwaitLogs w) {
            awaiting = true;
            awaitVersion = node.logVersion();
            awaitUntilNanos = w.untilNanos();
        } else if (a instanceof LinkAction.SendHeartbeat h) {
            send(new LinkFrame.Heartbeat(Stamp.of(node.clock().now(), node.nodeId()), h.headSeq()));
        } else if (a instanceof LinkAction.Send s) {
            send(s.frame());
        } else if (a instanceof LinkAction.Close c) {
            sim.close(connection, c.reason(), this);
        } else if (a instanceof LinkAction.SendSnapshot) {
            sim.snapshots++;
            for (LinkFrame f : LinkSteps.snapshot(node.access(), node.databases(), node.time)) {
                send(f);
            }
            perform(machine.onSnapshotSent(now));
        } else {
            sim.failure(node + ": a sending machine asked for " + a + ", which a sender's driver does not do");
        }
    }

    @Override
    List<LinkAction> onTimer(long nowNanos) {
        return machine.onTimer(nowNanos);
    }

    private void send(LinkFrame frame) {
        sim.send(connection, false, frame);
        if (writable && connection.direction(true).bytes > WINDOW_BYTES) {
            writable = false;
            perform(machine.onWritable(false, sim.nowNanos()));
        }
    }

    /** A frame from the puller arrived. */
    void onFrame(Object frame) {
        if (frame instanceof LinkFrame.Ack ack) {
            perform(machine.onAck(ack.origin(), ack.seq(), sim.nowNanos()));
        } else if (!(frame instanceof PullRequest)) {     // a PULL again: a duplicated frame (datagram faults)
            sim.failure(node + ": frame " + SimNetwork.describe(frame) + " from a puller after its PULL");
        }
    }

    /** Frames toward the puller were delivered: writable again once below half the window. */
    void delivered() {
        if (!writable && connection.direction(true).bytes <= WINDOW_BYTES / 2) {
            writable = true;
            perform(machine.onWritable(true, sim.nowNanos()));
        }
    }

    /** Every tick: an {@code AwaitLogs} wait ends when a log here grew or its time came. */
    void tick() {
        if (awaiting && (node.logVersion() != awaitVersion || sim.nowNanos() >= awaitUntilNanos)) {
            awaiting = false;
            perform(machine.onWake(sim.nowNanos()));
        }
    }

    /** The connection closed under this end. */
    void onClosed() {
        alive = false;
        machine.onClosed(sim.nowNanos());
    }
}
