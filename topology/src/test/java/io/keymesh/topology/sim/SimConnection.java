package io.keymesh.topology.sim;

import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * One link connection between a pulling node and the node it pulls from: the driver of each end's
 * machine, and per direction the frames in flight (in order, as TCP keeps them).
 */
final class SimConnection {
    /** A frame on its way, due at {@code atMillis}; {@code order} breaks ties in sending order. */
    record InFlight(long atMillis, long order, Object frame, long bytes) {
    }

    /** One direction of the connection. */
    static final class Direction {
        final PriorityQueue<InFlight> queue = new PriorityQueue<>(Comparator.comparingLong(InFlight::atMillis)
                .thenComparingLong(InFlight::order));
        long sent;
        long lastAtMillis;
        long bytes;
        long bytesMax;
    }

    final long id;
    final SimNode puller;
    final SimNode sender;
    final PullDriver pulling;
    SendDriver sending;       // made when the pull request arrives
    boolean open = true;
    private final Direction toPuller = new Direction();
    private final Direction toSender = new Direction();

    SimConnection(long id, SimNode puller, SimNode sender, PullDriver pulling) {
        this.id = id;
        this.puller = puller;
        this.sender = sender;
        this.pulling = pulling;
    }

    Direction direction(boolean towardPuller) {
        return towardPuller ? toPuller : toSender;
    }

    /** Closed: whatever was in flight is gone. */
    void close() {
        open = false;
        toPuller.queue.clear();
        toSender.queue.clear();
        toPuller.bytes = 0;
        toSender.bytes = 0;
    }

    @Override
    public String toString() {
        return "conn" + id + " " + puller + "<-" + sender;
    }
}
