package io.keymesh.topology.link;

import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.BooleanSupplier;

/** The outgoing end of one serving link's channel: writes frames, counting their bytes and a snapshot's keys. */
final class FrameChannel {
    /** Backlog beyond which a live publish is dropped rather than queued. */
    private static final long PUBLISH_BACKLOG_MAX = 8L * 1024 * 1024;

    private final Channel channel;
    private final ServeStatus status;
    private final BooleanSupplier stopped;
    private final long waitMillis;
    private final TimeSource time;
    private volatile long lastWriteNanos;

    /** {@code stopped} ends the heartbeats of {@link #keepAlive}, sent after {@code waitMillis} of silence. */
    FrameChannel(Channel channel, ServeStatus status, BooleanSupplier stopped, long waitMillis, TimeSource time) {
        this.channel = channel;
        this.time = time;
        this.lastWriteNanos = time.monotonicNanos();
        this.status = status;
        this.stopped = stopped;
        this.waitMillis = waitMillis;
    }

    /**
     * From now on, whenever nothing was written for {@code waitMillis}, writes {@code heartbeat}'s
     * frame from the channel's event loop, until the channel closes. So the peer keeps hearing
     * this link even while its backend calls wait on the redis-server: a script holding the
     * backend, a blocked XREAD that cannot time out while the script runs, a slow call. Thread-safe.
     */
    void keepAlive(Supplier<LinkFrame> heartbeat) {
        long periodNanos = waitMillis * 1_000_000L;
        ScheduledFuture<?> task = channel.eventLoop().scheduleAtFixedRate(() -> {
            if (!stopped.getAsBoolean() && channel.isActive() && time.monotonicNanos() - lastWriteNanos >= periodNanos) {
                write(heartbeat.get());
            }
        }, waitMillis, waitMillis, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(closed -> task.cancel(false));
    }

    /** Encodes {@code frame}, counts its bytes as sent (and a snapshot key as one more sent) and writes it without waiting. */
    void write(LinkFrame frame) {
        lastWriteNanos = time.monotonicNanos();
        List<byte[]> args = Frames.toArgs(frame);
        int length = RespWriter.encodedLength(args);
        ByteBuf buf = channel.alloc().buffer(length);
        RespWriter.write(buf, args);
        status.bytesSent.addAndGet(length);
        if (frame instanceof LinkFrame.SnapshotKey) {
            status.keysSent.incrementAndGet();
        }
        channel.writeAndFlush(buf, channel.voidPromise());
    }

    /** Writes a live publish unless the channel is backed up beyond its buffer (then counts it as dropped). */
    void publishUnlessBackedUp(LinkFrame.Publish frame) {
        if (channel.bytesBeforeWritable() > PUBLISH_BACKLOG_MAX) {
            status.publishesDropped.incrementAndGet();
            return;
        }
        write(frame);
    }
}
