package io.keymesh.topology.link;

import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The incoming frames of a pulling link. Log batches of one origin that have already arrived one
 * after another are joined, up to {@code entriesMax} entries and a byte budget, into one batch: a
 * receiver that fell behind applies its backlog in a few large apply calls instead of many small
 * ones, and so catches up faster. Nothing waits for a batch to grow: a batch is joined only with
 * what is already here. The byte budget follows how long applies take ({@link #applied}): it halves
 * (down to {@code bytesMin}) after a call longer than {@link #APPLY_NANOS_TARGET} and doubles (up to
 * {@code bytesMax}) after one under a fifth of it, so one apply call holds the node's redis-server
 * (and the link's next ack) for about that long at most, whatever the entries' sizes.
 */
final class FrameInput {
    /** How long one joined apply call should take at most. */
    static final long APPLY_NANOS_TARGET = 50_000_000L;
    /** A joined batch holds at most this many batches' bytes (times the link's batchBytesMax). */
    static final int JOIN_BATCHES_MAX = 16;

    /** Where values come from: {@link #read} the next one, {@link #poll} one only if it has arrived. */
    interface Source {
        /** The next value (one is there, or the source blocks until it arrives). */
        Object read() throws IOException;

        /** The next value if it has arrived, else {@link RespParser#INCOMPLETE}. */
        Object poll() throws IOException;
    }

    private final Source in;
    private final int entriesMax;
    private final long bytesMin;
    private final long bytesMax;
    private long bytesBudget;
    private LinkFrame held;

    FrameInput(RespStreamReader in, int entriesMax) {
        this(in, entriesMax, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    FrameInput(RespStreamReader in, int entriesMax, long bytesMin, long bytesMax) {
        this(new Source() {
            @Override
            public Object read() throws IOException {
                return in.read();
            }

            @Override
            public Object poll() throws IOException {
                return in.poll();
            }
        }, entriesMax, bytesMin, bytesMax);
    }

    FrameInput(Source in, int entriesMax, long bytesMin, long bytesMax) {
        this.in = in;
        this.entriesMax = entriesMax;
        this.bytesMin = bytesMin;
        this.bytesMax = Math.max(bytesMin, bytesMax);
        this.bytesBudget = this.bytesMax;
    }

    /** The byte budget of the next joined batch. */
    long bytesBudget() {
        return bytesBudget;
    }

    /** Reports how long applying the last batch took, to size the next joins. */
    void applied(long nanos) {
        if (nanos > APPLY_NANOS_TARGET) {
            bytesBudget = Math.max(bytesMin, bytesBudget / 2);
        } else if (nanos < APPLY_NANOS_TARGET / 5 && bytesBudget <= bytesMax / 2) {
            bytesBudget *= 2;
        } else if (nanos < APPLY_NANOS_TARGET / 5) {
            bytesBudget = bytesMax;
        }
    }

    /** True when a frame read ahead (not joinable with the last batch) waits to be returned by {@link #next}. */
    boolean holding() {
        return held != null;
    }

    /** The next frame, blocking until one arrives; a batch joined with the same origin's batches already received. */
    LinkFrame next() throws IOException {
        LinkFrame frame = held != null ? held : Frames.decode(in.read());
        held = null;
        if (!(frame instanceof LinkFrame.Batch first)) {
            return frame;
        }
        List<LogEntry> joined = null;
        int entries = first.entries().size();
        long bytes = bytes(first);
        while (entries < entriesMax && bytes < bytesBudget) {
            Object value = in.poll();
            if (value == RespParser.INCOMPLETE) {
                break;
            }
            LinkFrame more = Frames.decode(value);
            if (!(more instanceof LinkFrame.Batch batch) || !batch.origin().equals(first.origin())
                    || entries + batch.entries().size() > entriesMax || bytes + bytes(batch) > bytesBudget) {
                held = more;
                break;
            }
            if (joined == null) {
                joined = new ArrayList<>(first.entries());
            }
            joined.addAll(batch.entries());
            entries += batch.entries().size();
            bytes += bytes(batch);
        }
        return joined == null ? first : new LinkFrame.Batch(first.origin(), joined);
    }

    private static long bytes(LinkFrame.Batch batch) {
        long n = 0;
        for (LogEntry e : batch.entries()) {
            n += e.sizeBytes();
        }
        return n;
    }
}
