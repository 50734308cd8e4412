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
 * after another are joined, up to {@code entriesMax} entries, into one batch: a receiver that fell
 * behind applies its backlog in a few large km_r calls instead of many small ones, and so catches
 * up faster. Nothing waits for a batch to grow: a batch is joined only with what is already here.
 */
final class FrameInput {
    private final RespStreamReader in;
    private final int entriesMax;
    private LinkFrame held;

    FrameInput(RespStreamReader in, int entriesMax) {
        this.in = in;
        this.entriesMax = entriesMax;
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
        while (entries < entriesMax) {
            Object value = in.poll();
            if (value == RespParser.INCOMPLETE) {
                break;
            }
            LinkFrame more = Frames.decode(value);
            if (!(more instanceof LinkFrame.Batch batch) || !batch.origin().equals(first.origin())
                    || entries + batch.entries().size() > entriesMax) {
                held = more;
                break;
            }
            if (joined == null) {
                joined = new ArrayList<>(first.entries());
            }
            joined.addAll(batch.entries());
            entries += batch.entries().size();
        }
        return joined == null ? first : new LinkFrame.Batch(first.origin(), joined);
    }
}
