package io.keymesh.proxy.route;

import io.keymesh.storage.conn.ReplyReader;
import io.keymesh.storage.conn.BackendLink;
import io.keymesh.storage.conn.ReplySink;
import io.keymesh.storage.conn.RespCommand;
import io.keymesh.storage.time.TimeSource;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A blocking list pop (BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH) with replication on, on the
 * client's own link. It first runs through the apply library's write call, which pops without blocking (a function
 * cannot block) and logs the pop by element. When every list was empty:
 * <ul>
 *   <li>one list: it waits natively without taking anything, {@code BLMOVE key key LEFT LEFT
 *       <time left>} (the head goes back where it was, so the list and its element ids stay as they
 *       are), then tries that call again, until it pops or the client's timeout runs out;</li>
 *   <li>several lists: it runs the client's command natively, which pops, and {@code touch}
 *       records what it popped afterwards (docs/design/merge.md, "Lists": the gap of that moment).</li>
 * </ul>
 * Only the reply that ends it goes to the client's place in reply order.
 */
final class BlockingListPop implements ReplySink {

    private final BackendLink link;
    private final ByteBufAllocator alloc;
    private final Function<Long, ByteBuf> header;     // the write call's header, for a stamp
    private final LongSupplier clock;
    private final TimeSource time;                    // monotonic time for the client's timeout
    private final ByteBuf request;                    // the client's frame, owned here until done
    private final int argumentsFrom;                  // where its command name starts in request
    private final ReplySink place;
    private final Function<ByteBuf, ByteBuf> touch;
    private final byte[] waitKey;                     // the one list to wait on, or null
    private final long deadlineNanos;                 // 0: wait for ever
    private final boolean arrayReply;                 // BLPOP, BRPOP, BLMPOP answer a null array
    private final int protocol;
    private boolean waiting;                          // the reply expected is the wait's, not the write call's
    private boolean done;

    BlockingListPop(BackendLink link, ByteBufAllocator alloc, Function<Long, ByteBuf> header, LongSupplier clock,
            TimeSource time, ByteBuf request, int argumentsFrom, ReplySink place, Function<ByteBuf, ByteBuf> touch,
            byte[] waitKey, double timeoutSeconds, boolean arrayReply, int protocol) {
        this.time = time;
        this.link = link;
        this.alloc = alloc;
        this.header = header;
        this.clock = clock;
        this.request = request;
        this.argumentsFrom = argumentsFrom;
        this.place = place;
        this.touch = touch;
        this.waitKey = waitKey;
        this.deadlineNanos = timeoutSeconds > 0 ? time.monotonicNanos() + (long) (timeoutSeconds * 1e9) : 0;
        this.arrayReply = arrayReply;
        this.protocol = protocol;
    }

    /** Sends the first try through the write call. */
    void start() {
        link.send(header.apply(clock.getAsLong()), null);
        link.send(request, argumentsFrom, request.writerIndex() - argumentsFrom, this);
    }

    @Override
    public void onReply(ByteBuf buffer, int index, int length) {
        if (done) {
            return;
        }
        boolean empty = new ReplyReader(buffer.slice(index, length)).isNull();
        if (waiting) {
            waiting = false;
            if (empty) {
                finish();
                place.onReply(nullReply(), 0, nullReplyLength());
                return;
            }
            start();                                   // an element came: try to pop it
            return;
        }
        if (!empty) {
            finish();
            place.onReply(buffer, index, length);
            return;
        }
        if (waitKey == null) {
            blockNatively();
            return;
        }
        double left = secondsLeft();
        if (left < 0) {
            finish();
            place.onReply(nullReply(), 0, nullReplyLength());
            return;
        }
        waiting = true;
        link.send(waitRequest(left), this);
    }

    @Override
    public void onFailure(String error) {
        if (!done) {
            finish();
            place.onFailure(error);
        }
    }

    /** Several lists: the client's command natively, recorded by touch once it returns data. */
    private void blockNatively() {
        ByteBuf copy = request.retainedDuplicate();
        finish();
        link.send(copy, new ReplySink() {
            @Override
            public void onReply(ByteBuf reply, int at, int len) {
                touch.apply(reply.slice(at, len));
                place.onReply(reply, at, len);
            }

            @Override
            public void onFailure(String error) {
                place.onFailure(error);
            }
        });
    }

    /** Seconds left of the client's timeout (0: for ever), below 0 when it ran out. */
    private double secondsLeft() {
        if (deadlineNanos == 0) {
            return 0;
        }
        long left = deadlineNanos - time.monotonicNanos();
        return left <= 0 ? -1 : Math.max(0.001, left / 1e9);
    }

    /** {@code BLMOVE key key LEFT LEFT <seconds>}: waits for an element without taking it. */
    private ByteBuf waitRequest(double seconds) {
        byte[][] args = {bytes("BLMOVE"), waitKey, waitKey, bytes("LEFT"), bytes("LEFT"),
                bytes(String.format(java.util.Locale.ROOT, "%.3f", seconds))};
        List<byte[]> command = List.of(args);
        return RespCommand.write(alloc.buffer(RespCommand.encodedLength(command)), command);
    }

    private ByteBuf nullReply() {
        String text = protocol == 3 ? "_\r\n" : arrayReply ? "*-1\r\n" : "$-1\r\n";
        return io.netty.buffer.Unpooled.wrappedBuffer(bytes(text));
    }

    private int nullReplyLength() {
        return protocol == 3 ? 3 : 5;
    }

    private void finish() {
        done = true;
        request.release();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
