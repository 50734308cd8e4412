package io.keymesh.topology.link;

import io.keymesh.topology.clock.ClockSkewException;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.sim.LinkHost;
import io.keymesh.topology.sim.LinkLogic;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Link logic for the simulation built from the links' own parts, until the links are state machines
 * of their own: the sender reads each origin's log with {@link LogReader} (as LogSender and
 * ReplicaSender do) and keeps at most {@link #WINDOW_BYTES} unacknowledged; the puller applies each
 * batch with {@link BatchApply} (km_r) from its position in km:pos, observes every stamp in its clock
 * (a peer too far ahead closes the connection, as PeerLink refuses it), and acknowledges what it
 * applied. Over a network that may lose, double and reorder frames, each side also does what a
 * connection over TCP never needs: the puller refuses a batch that does not follow its position
 * (km_r itself would skip the gap), the sender closes a connection whose acknowledgements stall.
 */
public final class StandInLinks implements LinkLogic {
    /** Unacknowledged bytes a sender allows per connection before it waits. */
    static final long WINDOW_BYTES = 16 * 1024;

    /** The pull request: the puller's position for each origin it asks for. */
    record Pull(String puller, TreeMap<String, Long> positions) {
    }

    @Override
    public Puller puller(LinkHost self, String upstream, List<String> origins) {
        return new StandInPuller(self, origins);
    }

    @Override
    public Sender sender(LinkHost self, Object request, long nowMillis) throws IOException {
        if (!(request instanceof Pull pull)) {
            throw new IOException("expected a pull request, got " + request.getClass().getSimpleName());
        }
        return new StandInSender(self, pull, nowMillis);
    }

    private static final class StandInPuller implements Puller {
        private final LinkHost self;
        private final List<String> origins;
        private final TreeMap<String, Long> positions = new TreeMap<>();
        private long heardMillis;

        StandInPuller(LinkHost self, List<String> origins) {
            this.self = self;
            this.origins = origins;
        }

        @Override
        public List<Object> open(long nowMillis) throws IOException {
            LogStore store = new LogStore(self.backend(), self.databases());
            for (String o : origins) {
                if (!o.equals(self.nodeId())) {
                    positions.put(o, store.position(o));
                }
            }
            heardMillis = nowMillis;
            return List.of(new Pull(self.nodeId(), new TreeMap<>(positions)));
        }

        @Override
        public List<Object> onFrame(Object frame, long nowMillis) throws IOException, ClockSkewException {
            heardMillis = nowMillis;
            if (frame instanceof LinkFrame.Heartbeat hb) {
                self.clock().observe(Stamp.hlc(hb.stamp()));
                return List.of();
            }
            if (!(frame instanceof LinkFrame.Batch batch)) {
                throw new IOException("unexpected frame " + frame.getClass().getSimpleName());
            }
            Long position = positions.get(batch.origin());
            if (position == null) {
                throw new IOException("batch of " + batch.origin() + ", which this link did not ask for");
            }
            long first = batch.entries().get(0).seq();
            if (first > position + 1) {
                throw new IOException("batch of " + batch.origin() + " from " + first + " does not follow " + position);
            }
            if (batch.lastSeq() > position) {
                for (LogEntry e : batch.entries()) {
                    String stamp = e.stamp();
                    if (stamp != null) {
                        self.clock().observe(Stamp.hlc(stamp));
                    }
                }
                position = BatchApply.apply(self.backend(), Integer.toString(self.databases()), batch);
                positions.put(batch.origin(), position);
            }
            return List.of(new LinkFrame.Ack(batch.origin(), position));
        }

        @Override
        public List<Object> onTick(long nowMillis) throws IOException {
            if (nowMillis - heardMillis > self.settings().linkTimeoutMillis()) {
                throw new IOException("nothing heard for " + (nowMillis - heardMillis) + " ms");
            }
            return List.of();
        }
    }

    private static final class StandInSender implements Sender {
        private final LinkHost self;
        private final LogStore store;
        private final Map<String, LogReader> readers = new TreeMap<>();
        private final Map<String, ArrayDeque<LinkFrame.Batch>> unacked = new TreeMap<>();
        private long unackedBytes;
        private long progressMillis;
        private long heartbeatMillis = Long.MIN_VALUE;
        private long readVersion = -1;

        StandInSender(LinkHost self, Pull pull, long nowMillis) throws IOException {
            this.self = self;
            this.store = new LogStore(self.backend(), self.databases());
            for (Map.Entry<String, Long> p : pull.positions().entrySet()) {
                long head = store.position(p.getKey());
                if (!store.holdsAfter(p.getKey(), p.getValue(), head)) {
                    throw new IOException("log of " + p.getKey() + " no longer holds " + (p.getValue() + 1));
                }
                readers.put(p.getKey(), new LogReader(p.getKey(), p.getValue(), self.settings()));
                unacked.put(p.getKey(), new ArrayDeque<>());
            }
            progressMillis = nowMillis;
        }

        @Override
        public List<Object> onFrame(Object frame, long nowMillis) {
            if (frame instanceof LinkFrame.Ack ack && unacked.containsKey(ack.origin())) {
                ArrayDeque<LinkFrame.Batch> sent = unacked.get(ack.origin());
                while (!sent.isEmpty() && ack.seq() >= sent.peek().lastSeq()) {
                    unackedBytes -= bytes(sent.poll());
                    progressMillis = nowMillis;
                }
            }
            return List.of();    // a repeated pull request: this connection serves it already
        }

        @Override
        public List<Object> onTick(long nowMillis) throws IOException {
            List<Object> out = new ArrayList<>();
            if (nowMillis - heartbeatMillis >= self.settings().heartbeatMillis()) {
                heartbeatMillis = nowMillis;
                out.add(new LinkFrame.Heartbeat(Stamp.of(self.clock().now(), self.nodeId()), 0));
            }
            if (unackedBytes == 0) {
                progressMillis = nowMillis;
            } else if (nowMillis - progressMillis > self.settings().linkTimeoutMillis()) {
                throw new IOException("no acknowledgement for " + (nowMillis - progressMillis) + " ms");
            }
            boolean waiting = readers.values().stream().anyMatch(r -> r.pendingEntries() > 0);
            if (readVersion == self.logVersion() && !waiting) {
                return out;
            }
            long version = self.logVersion();
            boolean allRead = true;
            for (LogReader reader : readers.values()) {
                LinkFrame.Batch batch = null;
                while (unackedBytes < WINDOW_BYTES && (batch = reader.next(store, 0)) != null) {
                    unacked.get(reader.origin()).add(batch);
                    unackedBytes += bytes(batch);
                    out.add(batch);
                }
                allRead &= batch == null && unackedBytes < WINDOW_BYTES;
            }
            readVersion = allRead ? version : -1;   // the log read to its end at this version: no read until it grows
            return out;
        }

        private static long bytes(LinkFrame.Batch batch) {
            long n = 0;
            for (LogEntry e : batch.entries()) {
                n += e.sizeBytes();
            }
            return n;
        }

        @Override
        public long unackedBytes() {
            return unackedBytes;
        }
    }
}
