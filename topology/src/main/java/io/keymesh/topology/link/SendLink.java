package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.LinkFrame;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The sending side of a link on its own thread, for peers and replicas alike: drives a
 * {@link SendMachine} over the Netty {@code channel} of the connection that sent PULL and over this
 * node's backend (log reads, XREAD BLOCK waits, snapshots through {@link SnapshotWriter}). Acks
 * arrive on the channel's event loop ({@link SenderHandler}) and are handed to the machine by this
 * thread. Once the first frame is out, the event loop writes a heartbeat whenever nothing was
 * written for a heartbeat interval ({@link FrameChannel#keepAlive}), so the puller keeps hearing
 * the link while this thread waits on a busy redis-server.
 */
public final class SendLink implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(SendLink.class);

    private final Channel channel;
    private final SendMachine machine;
    private final String selfId;
    private final boolean replica;
    private final BackendAccess backend;
    private final int databases;
    private final LinkSettings settings;
    private final Supplier<String> stampNow;
    private final Supplier<? extends Collection<String>> expectedOrigins;
    private final ServeStatus status;
    private final TimeSource time;
    private final FrameChannel frames;
    private final Map<String, Long> newAcks = new ConcurrentHashMap<>();    // origin -> highest, not yet handed to the machine
    private final Map<String, Long> acked = new ConcurrentHashMap<>();
    private volatile Set<String> known;      // origins an ack may name: the PULL's and those this node logs
    private final Deque<LinkAction> todo = new ArrayDeque<>();
    private final String name;
    private volatile boolean stopped;
    private volatile boolean opened;
    private boolean writable = true;
    private long timerAtNanos = Long.MAX_VALUE;
    private LinkAction.AwaitLogs awaiting;

    /**
     * Serves {@code pullerId} (a replica when {@code replica}) from its position vector {@code from};
     * {@code expectedOrigins} are the origins this node logs (its own and its peers'), tailed before
     * their log exists.
     */
    public SendLink(Channel channel, String selfId, String pullerId, boolean replica, Map<String, Long> from,
                    BackendAccess backend, int databases, LinkSettings settings, Supplier<String> stampNow,
                    Supplier<? extends Collection<String>> expectedOrigins, ServeStatus status, TimeSource time) {
        this.channel = channel;
        this.machine = new SendMachine(selfId, pullerId, replica, from, settings);
        this.selfId = selfId;
        this.replica = replica;
        this.backend = backend;
        this.databases = databases;
        this.settings = settings;
        this.stampNow = stampNow;
        this.expectedOrigins = expectedOrigins;
        this.status = status;
        this.time = time;
        this.name = (replica ? "replica link to " : "link to ") + pullerId;
        this.frames = new FrameChannel(channel, status, () -> stopped, settings.heartbeatMillis(), time);
        acked.putAll(from);
        Set<String> origins = new HashSet<>(from.keySet());
        origins.add(selfId);
        this.known = origins;
        status.acked(shown(from), time.wallMillis());
    }

    /** What INFO shows of this link. */
    public ServeStatus status() {
        return status;
    }

    /** Called by the channel handler when writability changed. */
    public void onWritabilityChanged() {
        frames.wake();
    }

    /**
     * Called on the event loop for each acknowledgement: the puller applied {@code origin} up to
     * {@code seq}. An origin that neither the PULL named nor this node logs is ignored (the puller
     * acknowledges its whole vector, which may name origins this node has not heard of yet; and a
     * puller naming made-up origins must not grow the maps), and acks wait for the sender thread
     * coalesced per origin, so their memory stays bounded by the origins whatever the rate.
     */
    public void onAck(String origin, long seq) {
        if (!acked.containsKey(origin) && !known.contains(origin)) {
            status.ackIgnored();
            return;
        }
        acked.merge(origin, seq, Math::max);
        status.acked(shown(acked), time.wallMillis());
        newAcks.merge(origin, seq, Math::max);
    }


    /** The connection closed: end soon. */
    public void stop() {
        stopped = true;
        frames.wake();
    }

    /** Sends a non-logged publish unless the channel is backed up beyond its buffer; thread-safe. */
    public void publish(LinkFrame.Publish frame) {
        if (channel.isActive() && opened) {         // the puller expects its Sync frame first
            frames.publishUnlessBackedUp(frame);
        }
    }

    /** What the puller has acknowledged of each origin's log (by this link or another), a copy. */
    public Map<String, Long> ackedAll() {
        return Map.copyOf(acked);
    }

    /** What the puller has acknowledged of {@code origin}'s log (0 before anything). */
    public long ackedOf(String origin) {
        return acked.getOrDefault(origin, 0L);
    }

    @Override
    public void run() {
        BusyWait busy = new BusyWait(name).whileWaiting(() -> !stopped && channel.isActive()).measuredBy(time);
        try (BackendClient conn = backend.open(2 * databases, busy)) {
            LogStore store = new LogStore(conn, databases);
            todo.addAll(machine.open(time.monotonicNanos()));
            while (!stopped && channel.isActive() && machine.state() != SendMachine.State.CLOSED) {
                step(store);
            }
        } catch (IOException | RuntimeException e) {
            if (!stopped && channel.isActive()) {
                log.warn("{} ({}): sender failed: {}", name, status.address(), e.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            status.state("closed");
            channel.close();
        }
    }

    private void step(LogStore store) throws IOException, InterruptedException {
        for (String origin : newAcks.keySet()) {
            Long seq = newAcks.remove(origin);
            if (seq != null) {
                todo.addAll(machine.onAck(origin, seq, time.monotonicNanos()));
            }
        }
        boolean w = channel.isWritable();
        if (w != writable) {
            writable = w;
            todo.addAll(machine.onWritable(w, time.monotonicNanos()));
        }
        LinkAction action = todo.poll();
        if (action != null) {
            perform(action, store);
            return;
        }
        if (!writable) {
            frames.awaitWritable();
            return;
        }
        long now = time.monotonicNanos();
        if (timerAtNanos <= now) {
            timerAtNanos = Long.MAX_VALUE;
            todo.addAll(machine.onTimer(now));
        } else if (awaiting != null) {
            long until = Math.min(awaiting.untilNanos(), timerAtNanos);
            long blockMillis = Math.min(settings.tailBlockMillis(), (until - now) / 1_000_000L);
            if (blockMillis >= 1 && !awaiting.after().isEmpty()) {
                store.awaitAny(awaiting.after(), blockMillis);
            }
            awaiting = null;
            todo.addAll(machine.onWake(time.monotonicNanos()));
        } else if (timerAtNanos != Long.MAX_VALUE) {
            LockSupport.parkNanos(Math.min(timerAtNanos - now, settings.heartbeatMillis() * 1_000_000L));
        } else {
            LockSupport.parkNanos(settings.tailBlockMillis() * 1_000_000L);
            todo.addAll(machine.onWake(time.monotonicNanos()));
        }
    }

    private void perform(LinkAction action, LogStore store) throws IOException, InterruptedException {
        if (action instanceof LinkAction.Send s) {
            frames.write(s.frame());
            if (s.frame() instanceof LinkFrame.Sync) {
                opened();
            } else if (s.frame() instanceof LinkFrame.Batch) {
                status.sent(shown(machine.sent()));
                status.head(Math.max(status.headSeq(), machine.head()));
            }
        } else if (action instanceof LinkAction.Timer t) {
            timerAtNanos = Math.min(timerAtNanos, t.atNanos());
        } else if (action instanceof LinkAction.ReadLog r) {
            todo.addAll(machine.onRead(r.origin(), r.afterSeq(), store.range(r.origin(), r.afterSeq(), r.count()),
                    time.monotonicNanos()));
        } else if (action instanceof LinkAction.AwaitLogs a) {
            awaiting = a;
        } else if (action instanceof LinkAction.CheckLogs c) {
            Map<String, LogSpan> spans = new TreeMap<>();
            for (String origin : store.origins()) {
                spans.put(origin, store.span(origin));
            }
            for (String origin : expectedOrigins.get()) {
                spans.putIfAbsent(origin, LogSpan.EMPTY);
            }
            Set<String> origins = new HashSet<>(known);
            if (origins.addAll(spans.keySet())) {
                known = origins;
            }
            todo.addAll(machine.onLogs(spans, time.monotonicNanos()));
        } else if (action instanceof LinkAction.SendHeartbeat h) {
            status.head(h.headSeq());
            frames.write(new LinkFrame.Heartbeat(stampNow.get(), h.headSeq()));
        } else if (action instanceof LinkAction.SendSnapshot s) {
            status.state("snapshot");
            frames.write(new LinkFrame.Sync(LinkFrame.Sync.SNAPSHOT, SendMachine.ALL_ORIGINS, 0,
                    SnapshotWriter.countKeys(backend, databases)));
            opened();
            log.info("{}: position {} is behind the log, sending a snapshot", name, acked);
            SnapshotWriter.send(backend, databases, frames, () -> stopped || !channel.isActive(), () -> { }, status);
            todo.addAll(machine.onSnapshotSent(time.monotonicNanos()));
            status.state("streaming");
        } else if (action instanceof LinkAction.Close c) {
            log.warn("{}: {}", name, c.reason());
            stopped = true;
            channel.close();
        } else {
            throw new IllegalStateException("not a sender's action: " + action);
        }
    }

    private void opened() {
        if (!opened) {
            opened = true;
            if (!status.state().equals("snapshot")) {
                status.state("streaming");
            }
            frames.keepAlive(() -> new LinkFrame.Heartbeat(stampNow.get(), status.headSeq()));
        }
    }

    /** The position INFO shows for a vector: this node's own for a peer, the sum for a replica. */
    private long shown(Map<String, Long> positions) {
        if (!replica) {
            return positions.getOrDefault(selfId, 0L);
        }
        long total = 0;
        for (long v : positions.values()) {
            total += v;
        }
        return total;
    }
}
