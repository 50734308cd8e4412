package io.keymesh.storage.conn;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;

/**
 * Writes frames to a channel so that one event-loop turn costs one flush: small frames are copied
 * into a single batch buffer (a few bytes of memcpy are far cheaper than one outbound-buffer entry,
 * reference count and recycler round trip per frame), large frames are written as they are, after
 * the batch before them, so order is kept. All methods run on the channel's event loop.
 */
public final class CoalescingWriter {
    /** Frames up to this size are copied into the batch. */
    static final int COPY_MAX = 2048;
    /** A batch this large is handed to the channel and a new one started. */
    static final int BATCH_MAX = 64 * 1024;

    private final Channel channel;
    private final Runnable flushTask = this::flushNow;
    private Runnable beforeFlush = () -> { };
    private ByteBuf batch;
    private int lastBatchBytes = 512;
    private boolean flushScheduled;
    private boolean held;

    public CoalescingWriter(Channel channel, boolean held) {
        this.channel = channel;
        this.held = held;
    }

    /** Queues {@code frame} (ownership passes here) and schedules a flush for the end of this turn. */
    public void write(ByteBuf frame) {
        int size = frame.readableBytes();
        if (size <= COPY_MAX) {
            copy(frame, frame.readerIndex(), size);
            frame.release();
        } else {
            writeBatch();
            channel.write(frame, channel.voidPromise());
        }
        scheduleFlush();
    }

    /**
     * Queues a copy of {@code length} bytes of {@code src} at {@code index} (large regions are
     * retained and written without copying); {@code src} stays the caller's.
     */
    public void write(ByteBuf src, int index, int length) {
        if (length <= COPY_MAX) {
            copy(src, index, length);
        } else {
            writeBatch();
            channel.write(src.retainedSlice(index, length), channel.voidPromise());
        }
        scheduleFlush();
    }

    private void copy(ByteBuf src, int index, int length) {
        if (batch == null) {
            batch = channel.alloc().directBuffer(Math.max(lastBatchBytes, length));
        }
        batch.writeBytes(src, index, length);
        if (batch.readableBytes() >= BATCH_MAX) {
            writeBatch();
        }
    }

    /** Runs {@code task} at the start of every flush, before the batch goes out; it may write. */
    public void beforeFlush(Runnable task) {
        beforeFlush = task;
    }

    /** Schedules a flush for the end of this turn without writing anything now. */
    public void requestFlush() {
        scheduleFlush();
    }

    /** While held (a connection still being opened) writes accumulate and nothing is flushed. */
    public void hold(boolean value) {
        held = value;
        if (!held) {
            scheduleFlush();
        }
    }

    /** Bytes written but not yet sent: the batch and the channel's outbound buffer. */
    public long pendingBytes() {
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return (batch == null ? 0 : batch.readableBytes()) + (out == null ? 0 : out.totalPendingWriteBytes());
    }

    /** Drops what was not written yet (the channel is gone). */
    public void discard() {
        if (batch != null) {
            batch.release();
            batch = null;
        }
    }

    private void scheduleFlush() {
        if (!flushScheduled && !held) {
            flushScheduled = true;
            channel.eventLoop().execute(flushTask);
        }
    }

    private void writeBatch() {
        if (batch != null) {
            ByteBuf out = batch;
            batch = null;
            lastBatchBytes = Math.min(BATCH_MAX, Math.max(256, out.readableBytes()));
            channel.write(out, channel.voidPromise());
        }
    }

    /** Writes the batch and flushes now. */
    public void flushNow() {
        beforeFlush.run();                  // still marked scheduled: its writes schedule nothing more
        flushScheduled = false;
        writeBatch();
        channel.flush();
    }
}
