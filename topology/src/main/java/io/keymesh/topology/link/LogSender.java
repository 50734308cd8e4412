package io.keymesh.topology.link;

import io.keymesh.topology.wire.LinkFrame;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * The sending side of one link, on its own thread: serves one origin's log to the peer at the other
 * end of {@code channel}, from the position the peer asked for. When the log no longer holds that
 * position it streams a snapshot first (every key of every user and metadata db through
 * {@code km_dumpkey}), then the log from where the snapshot began, through a {@link LogReader}
 * (reads sized by bytes, each entry read once, transactions whole). It reads the next batch only
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
            long next;
            if (!store.holdsAfter(origin, fromSeq, head)) {
                status.state("snapshot");
                frames.write(new LinkFrame.Sync(LinkFrame.Sync.SNAPSHOT, origin, head,
                        SnapshotWriter.countKeys(backend, databases)));
                frames.keepAlive(this::idleHeartbeat);
                log.info("link to {}: position {} of {} is behind the log (first {}), sending a snapshot up to {}",
                        status.peerId(), fromSeq, origin, store.firstSeq(origin), head);
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
        LogReader reader = new LogReader(origin, next, settings);
        while (!stopped && channel.isActive()) {
            if (!frames.awaitWritable()) {
                return;
            }
            heartbeatIfDue(store);
            LinkFrame.Batch batch;
            try {
                batch = reader.next(store, settings.tailBlockMillis());
            } catch (LogReader.LogGapException e) {
                log.warn("link to {}: {}; closing so the peer resyncs by snapshot", status.peerId(), e.getMessage());
                return;
            }
            if (batch == null) {
                continue;
            }
            frames.write(batch);
            status.sent(batch.lastSeq());
            if (batch.lastSeq() > status.headSeq()) {
                status.head(batch.lastSeq());
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
