package io.keymesh.topology.sim;

import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The network between simulated nodes, with what TCP promises and what it does not: within one
 * connection each direction delivers in order, every frame after its own random delay (a frame
 * never overtakes an earlier one of its connection, but frames of different connections interleave
 * in any order); a path can be cut one way or both, and frames sent over a cut path wait (as TCP
 * retransmits) until it heals or the connection is closed; a connection can be reset at any frame
 * (the frame and everything after it are lost, both ends see the close); connecting needs both
 * directions of a path. Runs with datagram faults also lose, duplicate and reorder single frames
 * within a connection. All from one random source, on the scheduler's virtual time.
 */
final class SimNetwork {
    /** Retry interval of a frame held by a cut path. */
    static final long HELD_RETRY_MILLIS = 10;

    /**
     * Per-frame faults of one run (per mille) and delays. Resets are what TCP does; loss, duplication
     * and reordering within a connection are not (datagram faults), and test what the machines do
     * beyond TCP's promises.
     */
    record Faults(int resetPerMille, int delayMinMillis, int delayJitterMillis, int lossPerMille, int duplicatePerMille,
                  int reorderPerMille) {
        /** The same delays with no more resets or datagram faults. */
        Faults calm() {
            return new Faults(0, delayMinMillis, delayJitterMillis, 0, 0, 0);
        }
    }

    /** Where a delivered frame goes, and who hears of a reset. */
    interface Receiver {
        void deliver(SimConnection connection, boolean toPuller, Object frame);

        void reset(SimConnection connection, String reason);
    }

    private final Scheduler scheduler;
    private final SplittableRandom random;
    private final boolean[][] cut;
    private final Receiver receiver;
    private Faults faults;
    private long framesSent;
    private long framesHeld;
    private long resets;
    private long lost;
    private long duplicated;
    private long reordered;

    SimNetwork(Scheduler scheduler, SplittableRandom random, int nodes, Faults faults, Receiver receiver) {
        this.scheduler = scheduler;
        this.random = random;
        this.cut = new boolean[nodes][nodes];
        this.faults = faults;
        this.receiver = receiver;
    }

    void faults(Faults f) {
        faults = f;
    }

    /** Frames from {@code from} to {@code to} wait from now on (until healed). */
    void cut(int from, int to) {
        cut[from][to] = true;
    }

    void healAll() {
        for (boolean[] row : cut) {
            Arrays.fill(row, false);
        }
    }

    void heal(int a, int b) {
        cut[a][b] = false;
        cut[b][a] = false;
    }

    /** A connection between a and b can be opened (both directions up). */
    boolean connectable(int a, int b) {
        return !cut[a][b] && !cut[b][a];
    }

    /** Sends {@code frame} on {@code c}, from the puller when {@code fromPuller}. */
    void send(SimConnection c, boolean fromPuller, Object frame) {
        if (!c.open) {
            return;
        }
        framesSent++;
        if (random.nextInt(1000) < faults.resetPerMille()) {
            resets++;
            receiver.reset(c, "connection reset");
            return;
        }
        if (random.nextInt(1000) < faults.lossPerMille()) {
            lost++;
            return;
        }
        int copies = random.nextInt(1000) < faults.duplicatePerMille() ? 2 : 1;
        duplicated += copies - 1;
        SimConnection.Direction d = c.direction(!fromPuller);
        for (int i = 0; i < copies; i++) {
            long at = scheduler.nowMillis() + faults.delayMinMillis() + random.nextInt(faults.delayJitterMillis() + 1);
            if (random.nextInt(1000) < faults.reorderPerMille()) {
                reordered++;            // may overtake frames sent before it
            } else {
                at = Math.max(at, d.lastAtMillis);
                d.lastAtMillis = at;
            }
            d.queue.add(new SimConnection.InFlight(at, d.sent++, frame, bytes(frame)));
            d.bytes += bytes(frame);
            d.bytesMax = Math.max(d.bytesMax, d.bytes);
            scheduler.after(at - scheduler.nowMillis(), () -> pump(c, !fromPuller));
        }
    }

    private void pump(SimConnection c, boolean toPuller) {
        SimConnection.Direction d = c.direction(toPuller);
        int from = toPuller ? c.sender.index : c.puller.index;
        int to = toPuller ? c.puller.index : c.sender.index;
        while (c.open && !d.queue.isEmpty() && d.queue.peek().atMillis() <= scheduler.nowMillis()) {
            if (cut[from][to]) {
                framesHeld++;
                scheduler.after(HELD_RETRY_MILLIS, () -> pump(c, toPuller));
                return;
            }
            SimConnection.InFlight f = d.queue.poll();
            d.bytes -= f.bytes();
            receiver.deliver(c, toPuller, f.frame());
        }
    }

    String stats() {
        return framesSent + " frames sent, " + framesHeld + " delivery retries behind cuts, " + resets + " resets, " + lost + " lost, "
                + duplicated + " duplicated, " + reordered + " reordered";
    }

    /** Bytes a frame takes on the wire (an estimate; what writability counts). */
    static long bytes(Object frame) {
        long n = 32;
        if (frame instanceof LinkFrame.Batch b) {
            for (LogEntry e : b.entries()) {
                n += e.sizeBytes();
            }
        }
        return n;
    }

    /** A frame as the trace records it: its kind and what it carries, never an identity hash. */
    static String describe(Object frame) {
        if (frame instanceof LinkFrame.Batch b) {
            return "batch " + b.origin() + " " + (b.entries().isEmpty() ? "empty" : b.entries().get(0).seq() + ".." + b.lastSeq());
        } else if (frame instanceof LinkFrame.SnapshotKey k) {
            return "snapshot key " + k.db() + " " + new String(k.key(), java.nio.charset.StandardCharsets.UTF_8);
        }
        return frame instanceof Record ? frame.toString() : frame.getClass().getSimpleName();
    }
}
