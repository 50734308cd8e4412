package io.keymesh.topology.link;

import io.keymesh.topology.wire.BatchCutter;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The sending side of one link, on its own thread: serves one origin's log to the peer at the other
 * end of {@code channel}, from the position the peer asked for. When the log no longer holds that
 * position it streams a snapshot first (every key of every user and metadata db through
 * {@code km_dumpkey}), then the log from where the snapshot began. It reads the next batch only
 * while the channel is writable, so a slow peer slows its link and memory stays bounded; when
 * caught up it tails the log with XREAD BLOCK and sends a heartbeat with its stamp every
 * {@code heartbeatMillis}. After a batch from a busy log it waits briefly before the next read
 * ({@link LinkSettings#lingerNanosAfter}).
 */
public final class LogSender implements Runnable, LinkSending {
    private static final Logger log = LoggerFactory.getLogger(LogSender.class);

    private final Channel channel;
    private final String origin;
    private final long fromSeq;
    private final BackendAccess backend;
    private final int databases;
    private final LinkSettings settings;
    private final Supplier<String> stampNow;
    private final ServeStatus status;
    private final BatchCutter cutter;
    private final FrameChannel frames;
    private volatile boolean stopped;
    private long lastHeartbeatNanos;

    public LogSender(Channel channel, String origin, long fromSeq, BackendAccess backend, int databases,
                     LinkSettings settings, Supplier<String> stampNow, ServeStatus status) {
        this.channel = channel;
        this.origin = origin;
        this.fromSeq = fromSeq;
        this.backend = backend;
        this.databases = databases;
        this.settings = settings;
        this.stampNow = stampNow;
        this.status = status;
        this.cutter = new BatchCutter(settings.batchEntriesMax(), settings.batchBytesMax());
        this.frames = new FrameChannel(channel, status, () -> stopped, settings.heartbeatMillis());
        status.acked(fromSeq);
    }

    @Override
    public ServeStatus status() {
        return status;
    }

    /** Called by the channel handler when writability changed. */
    @Override
    public void onWritabilityChanged() {
        frames.wake();
    }

    /** Called by the channel handler for each KEYMESH ACK. */
    @Override
    public void onAck(String ackOrigin, long seq) {
        if (ackOrigin.equals(origin)) {
            status.acked(seq);
        }
    }

    /** Ends the thread soon; the channel is closed by whoever calls this or already is. */
    @Override
    public void stop() {
        stopped = true;
        onWritabilityChanged();
    }

    /** Sends a non-logged publish frame unless the channel is backed up beyond its buffer; thread-safe. */
    public void publish(LinkFrame.Publish frame) {
        if (!channel.isActive()) {
            return;
        }
        frames.publishUnlessBackedUp(frame);
    }

    @Override
    public void run() {
        try (BackendClient conn = backend.open(2 * databases, busyWait())) {
            LogStore store = new LogStore(conn, databases);
            long head = store.position(origin);
            long first = store.firstSeq(origin);
            long next;
            if (fromSeq < head && (first < 0 || first > fromSeq + 1)) {
                status.state("snapshot");
                frames.write(new LinkFrame.Sync(LinkFrame.Sync.SNAPSHOT, origin, head));
                frames.keepAlive(this::idleHeartbeat);
                log.info("link to {}: position {} of {} is behind the log (first {}), sending a snapshot up to {}",
                        status.peerId(), fromSeq, origin, first, head);
                SnapshotWriter.send(backend, databases, frames, () -> stopped, () -> heartbeatIfDue(store), status);
                frames.write(new LinkFrame.SnapshotEnd(origin, head));
                next = head;
            } else {
                frames.write(new LinkFrame.Sync(LinkFrame.Sync.PARTIAL, origin, fromSeq));
                frames.keepAlive(this::idleHeartbeat);
                next = fromSeq;
            }
            status.sent(next);
            status.state("streaming");
            stream(store, next);
        } catch (IOException | RuntimeException e) {
            if (!stopped && channel.isActive()) {
                log.warn("link to {} ({}): sender failed: {}", status.peerId(), status.address(), e.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            status.state("closed");
            channel.close();
        }
    }

    private void stream(LogStore store, long next) throws IOException, InterruptedException {
        int count = settings.batchEntriesMax();
        while (!stopped && channel.isActive()) {
            if (!frames.awaitWritable()) {
                return;
            }
            heartbeatIfDue(store);
            List<LogEntry> run = store.await(origin, next, count, settings.tailBlockMillis());
            if (run.isEmpty()) {
                continue;
            }
            if (run.get(0).seq() != next + 1) {
                log.warn("link to {}: log of {} no longer holds {} (first {}); closing so the peer resyncs by snapshot",
                        status.peerId(), origin, next + 1, run.get(0).seq());
                return;
            }
            int n = cutter.cut(run, run.size() < count);
            if (n == 0) {
                count = Math.min(count * 2, 1 << 20);   // a transaction larger than one read: read more
                continue;
            }
            count = settings.batchEntriesMax();
            LinkFrame.Batch batch = new LinkFrame.Batch(origin, n == run.size() ? run : run.subList(0, n));
            frames.write(batch);
            next = batch.lastSeq();
            status.sent(next);
            if (next > status.headSeq()) {
                status.head(next);
            }
            LockSupport.parkNanos(settings.lingerNanosAfter(batch.entries()));   // 0 unless the log is busy
        }
    }

    /**
     * While the node's redis-server is busy (a script runs), this sender's calls wait and retry
     * ({@link BusyWait}) until the link closes; the channel's keep-alive heartbeats
     * ({@link FrameChannel#keepAlive}) meanwhile keep the peer's link from timing out.
     */
    /** A heartbeat from the clock and the last head this sender knew; needs no backend call. */
    private LinkFrame idleHeartbeat() {
        return new LinkFrame.Heartbeat(stampNow.get(), status.headSeq());
    }

    private BusyWait busyWait() {
        return new BusyWait("link to " + status.address()).whileWaiting(() -> !stopped && channel.isActive());
    }


    private void heartbeatIfDue(LogStore store) throws IOException {
        long now = System.nanoTime();
        if (now - lastHeartbeatNanos >= settings.heartbeatMillis() * 1_000_000L) {
            lastHeartbeatNanos = now;
            long head = store.position(origin);
            status.head(head);
            frames.write(new LinkFrame.Heartbeat(stampNow.get(), head));
        }
    }
}
