package io.keymesh.topology.sim;

import io.keymesh.topology.wire.LinkFrame;

import java.util.SplittableRandom;

/**
 * The network between simulated nodes: every frame takes its own delay (so frames overtake each
 * other), may be dropped or delivered twice, and is lost when its path is cut (one way or both) when
 * it is sent or when it would arrive. Connecting needs both directions of a path. All from one random
 * source, on the scheduler's virtual time.
 */
final class SimNetwork {
    /** Per-frame fault rates (per mille) and delays of one run. */
    record Faults(int dropPerMille, int duplicatePerMille, int reorderPerMille, int delayMinMillis, int delayJitterMillis) {
        static Faults calm(Faults f) {
            return new Faults(0, 0, 0, f.delayMinMillis, f.delayJitterMillis);
        }
    }

    /** Where a delivered frame goes. */
    interface Receiver {
        void deliver(SimConnection connection, boolean toPuller, Object frame);
    }

    private final Scheduler scheduler;
    private final SplittableRandom random;
    private final boolean[][] cut;
    private final Receiver receiver;
    private Faults faults;
    private long framesSent;
    private long framesDropped;
    private long framesDuplicated;
    private int inFlight;
    private int inFlightMax;

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

    /** Frames from {@code from} to {@code to} are lost from now on (until healed). */
    void cut(int from, int to) {
        cut[from][to] = true;
    }

    void healAll() {
        for (boolean[] row : cut) {
            java.util.Arrays.fill(row, false);
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
        int from = fromPuller ? c.puller.index : c.sender.index;
        int to = fromPuller ? c.sender.index : c.puller.index;
        framesSent++;
        if (cut[from][to] || random.nextInt(1000) < faults.dropPerMille()) {
            framesDropped++;
            return;
        }
        int copies = random.nextInt(1000) < faults.duplicatePerMille() ? 2 : 1;
        framesDuplicated += copies - 1;
        for (int i = 0; i < copies; i++) {
            long delay = faults.delayMinMillis() + random.nextInt(faults.delayJitterMillis() + 1);
            if (random.nextInt(1000) < faults.reorderPerMille()) {
                delay += random.nextInt(10 * faults.delayJitterMillis() + 1);
            }
            inFlight++;
            inFlightMax = Math.max(inFlightMax, inFlight);
            scheduler.after(delay, () -> {
                inFlight--;
                if (!cut[from][to]) {
                    receiver.deliver(c, !fromPuller, frame);
                }
            });
        }
    }

    /** The most frames in flight at once over the run. */
    int inFlightMax() {
        return inFlightMax;
    }

    String stats() {
        return framesSent + " frames sent, " + framesDropped + " dropped, " + framesDuplicated + " duplicated";
    }

    /** A frame as the trace records it: its kind and what it carries, never an identity hash. */
    static String describe(Object frame) {
        if (frame instanceof LinkFrame.Batch b) {
            return "batch " + b.origin() + " " + b.entries().get(0).seq() + ".." + b.lastSeq();
        } else if (frame instanceof LinkFrame.Ack a) {
            return "ack " + a.origin() + " " + a.seq();
        } else if (frame instanceof LinkFrame.Heartbeat h) {
            return "heartbeat " + h.stamp() + " " + h.headSeq();
        }
        return frame instanceof Record ? frame.toString() : frame.getClass().getSimpleName();
    }
}
