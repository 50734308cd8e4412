package io.keymesh.topology.sim;

import io.keymesh.topology.clock.ClockSkewException;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.link.LinkAction;
import io.keymesh.topology.link.LinkSteps;
import io.keymesh.topology.link.LogStore;
import io.keymesh.topology.link.PullMachine;
import io.keymesh.topology.wire.FrameStamps;
import io.keymesh.topology.wire.LinkFrame;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Drives one {@link PullMachine} of a simulated node as the production driver does over a socket:
 * performs its actions on the node's real redis-server (km_r, snapshot merges, km:pos) and on the
 * simulated network, and feeds back the outcomes as events. As production's PullLink, it observes a
 * heartbeat's and a snapshot frame's stamps in the node's clock when they arrive and a batch's stamps before applying it; one
 * too far ahead closes the connection (the machine hears it as {@code onClosed}). Dead once its node
 * crashes: its timers then do nothing.
 */
final class PullDriver extends MachineDriver {
    final SimNode upstream;          // null for a replica: it follows the first primary it reaches
    final PullMachine machine;
    SimConnection connection;

    PullDriver(Simulation sim, SimNode node, SimNode upstream) {
        super(sim, node);
        this.upstream = upstream;
        this.machine = new PullMachine(node.nodeId(), node.primary ? "peer" : "replica", node.settings(), node.databases());
    }

    void start() {
        perform(machine.start(sim.nowNanos()));
    }

    @Override
    void act(LinkAction a) throws IOException {
        long now = sim.nowNanos();
        if (a instanceof LinkAction.Connect) {
            sim.connect(this);
        } else if (a instanceof LinkAction.Handshake) {
            sim.handshake(this);
        } else if (a instanceof LinkAction.Pull p) {
            sim.send(connection, true, new PullRequest(node.nodeId(), p.role(), p.positions()));
        } else if (a instanceof LinkAction.Apply apply) {
            if (!observed(FrameStamps.batch(apply.batch().entries()))) {
                return;
            }
            long position = LinkSteps.apply(node.backend(), node.databases(), apply.batch(), node.time);
            node.logGrew();
            perform(machine.onApplied(apply.batch().origin(), position, now));
        } else if (a instanceof LinkAction.ApplySnapshot s) {
            LinkSteps.applySnapshot(node.backend(), node.databases(), s.frame(), node.time);
            perform(machine.onSnapshotApplied(now));
        } else if (a instanceof LinkAction.RaisePosition r) {
            long position = new LogStore(node.backend(), node.databases()).raisePosition(r.origin(), r.seq());
            node.logGrew();
            perform(machine.onApplied(r.origin(), position, now));
        } else if (a instanceof LinkAction.ReadPositions) {
            perform(machine.onPositions(positions(node), now));
        } else if (a instanceof LinkAction.Send s) {
            sim.send(connection, true, s.frame());
        } else if (a instanceof LinkAction.Close c) {
            sim.close(connection, c.reason(), this);
        } else if (!(a instanceof LinkAction.Deliver)) {
            sim.failure(node + ": a pulling machine asked for " + a + ", which a puller's driver does not do");
        }
    }

    @Override
    List<LinkAction> onTimer(long nowNanos) {
        return machine.onTimer(nowNanos);
    }

    /** A frame arrived: its stamps outside a batch are observed first (FrameStamps; a batch's when it is applied), then the machine sees it. */
    void onFrame(Object frame) {
        if (!(frame instanceof LinkFrame f)) {
            sim.failure(node + ": frame " + SimNetwork.describe(frame) + " on a pulling link");
            return;
        }
        if (!observed(FrameStamps.of(f))) {
            return;
        }
        perform(machine.onFrame(f, sim.nowNanos()));
    }

    /** Observes {@code stamps} in the node's clock; one too far ahead refuses the link (false). */
    private boolean observed(List<String> stamps) {
        try {
            for (String stamp : stamps) {
                node.clock().observe(Stamp.hlc(stamp));
            }
            return true;
        } catch (ClockSkewException e) {
            String reason = "refused: " + e.getMessage();
            sim.close(connection, reason, this);
            perform(machine.onClosed(reason, sim.nowNanos()));
            return false;
        }
    }

    /** The connection closed under this end (the other end, the network, a crash). */
    void onClosed(String reason) {
        connection = null;
        perform(machine.onClosed(reason, sim.nowNanos()));
    }

    /** km:pos of {@code n}: its position of every origin. */
    static Map<String, Long> positions(SimNode n) throws IOException {
        return new LogStore(n.backend(), n.databases()).positions();
    }
}
