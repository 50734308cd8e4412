package io.keymesh.storage.conn;

import io.keymesh.storage.time.TimeSource;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.List;

/**
 * One connection to the backend Redis, owned by one event loop, carrying pipelined requests and
 * handing each reply to the sink that waits for it.
 *
 * <h2>Design</h2>
 * Requests are written as RESP bytes; every request that expects a reply enqueues a
 * {@link ReplySink}, and replies come back in the same order (Redis answers a connection's requests
 * in order), so the FIFO head owns the next frame. Frames no sink waits for go to the
 * {@link LinkListener} (pushes, subscribe-mode traffic). Writes go through a
 * {@link CoalescingWriter}, so many clients' requests leave in one buffer and one syscall per
 * event-loop turn. Until the connection is established,
 * writes accumulate unflushed; a failed connect or a closed connection fails every pending sink
 * with a clear error, never leaving a client waiting. All methods must be called on the link's
 * event loop.
 */
public final class BackendLink {
    private static final Logger log = LoggerFactory.getLogger(BackendLink.class);

    private final Channel channel;
    private final ArrayDeque<ReplySink> pending = new ArrayDeque<>();
    /** The reply sinks of runs sent and not answered yet, oldest first (a subset of {@code pending}). */
    private final ArrayDeque<ReplySink> runsUnanswered = new ArrayDeque<>();
    private final CoalescingWriter out;
    private LinkListener listener;
    private boolean connected;
    private boolean closed;
    private String closeReason = "ERR keymesh: backend connection closed";
    private Run run;
    private final TimeSource time;
    private long progressNanos;             // when the oldest pending request was sent or the last reply arrived
    private boolean closeWhenIdle;

    BackendLink(Channel channel, LinkListener listener, TimeSource time) {
        this.time = time;
        this.channel = channel;
        this.listener = listener;
        this.out = new CoalescingWriter(channel, true);
        out.beforeFlush(this::flushRun);
    }

    /**
     * Requests held back on a link to leave as one request (several clients' plain SETs as one call):
     * the link ends the run, and the run sends itself, before any other request, when a new run is
     * started, and at the end of the event-loop turn; so the link's order of requests is kept. At
     * the end of a turn a run stays open while the run sent before it is unanswered, and leaves when
     * that reply arrives: under load a run gathers what arrives meanwhile (fewer, larger calls); an
     * idle link sends a run at the end of its turn.
     */
    public interface Run {
        /** Sends the run's request(s) on {@code link}. */
        void send(BackendLink link);
    }

    /** The run open on this link, or null. */
    public Run run() {
        return run;
    }

    /** Opens {@code next} as this link's run (ending the one open before); it is sent by the end of this turn. */
    public void startRun(Run next) {
        endRun();
        run = next;
        out.requestFlush();
    }

    /** Sends the open run now, if there is one. */
    public void endRun() {
        Run open = run;
        if (open != null) {
            run = null;
            int before = pending.size();
            open.send(this);
            if (pending.size() > before) {
                runsUnanswered.add(pending.peekLast());
            }
        }
    }

    /** At a flush: sends the open run unless a run sent earlier still waits for its reply. */
    private void flushRun() {
        if (runsUnanswered.isEmpty()) {
            endRun();
        }
    }

    public void listener(LinkListener listener) {
        this.listener = listener;
    }

    public Channel channel() {
        return channel;
    }

    /** Sends one request; its reply goes to {@code sink}, or to the listener when {@code sink} is null. */
    public void send(ByteBuf request, ReplySink sink) {
        endRun();
        if (closed) {
            request.release();
            if (sink != null) {
                sink.onFailure(closeReason);
            }
            return;
        }
        if (sink != null) {
            waiting(sink);
        }
        out.write(request);
    }

    /** Sends a copy of a request that lies in {@code src} (which stays the caller's). */
    public void send(ByteBuf src, int index, int length, ReplySink sink) {
        endRun();
        if (closed) {
            if (sink != null) {
                sink.onFailure(closeReason);
            }
            return;
        }
        if (sink != null) {
            waiting(sink);
        }
        out.write(src, index, length);
    }

    private void waiting(ReplySink sink) {
        if (pending.isEmpty()) {
            progressNanos = time.monotonicNanos();
        }
        pending.add(sink);
    }

    /**
     * How long the link has waited for a reply without getting one, at {@code nowNanos}: 0 when no
     * reply is pending. A link stalled long is behind a slow request, such as a script that runs on.
     */
    public long stalledNanos(long nowNanos) {
        return pending.isEmpty() ? 0 : nowNanos - progressNanos;
    }

    /** Closes the link as soon as no reply is pending on it (now, if none is); it is not to get new requests. */
    public void closeWhenIdle() {
        closeWhenIdle = true;
        closeIfIdle();
    }

    private void closeIfIdle() {
        if (closeWhenIdle && pending.isEmpty() && run == null && !closed) {
            close("ERR keymesh: backend connection retired");
        }
    }

    /** Number of requests sent whose replies have not arrived. */
    public int inFlight() {
        return pending.size();
    }

    public boolean isWritable() {
        return !connected || channel.isWritable();
    }

    public boolean isOpen() {
        return !closed;
    }

    /** Stops or resumes reading replies (backpressure from a slow client on a dedicated link). */
    public void autoRead(boolean on) {
        channel.config().setAutoRead(on);
    }

    /** Closes the link; pending sinks fail with {@code reason}. */
    public void close(String reason) {
        if (!closed) {
            closeReason = reason;
        }
        channel.close();
    }

    void onConnected() {
        connected = true;
        out.hold(false);
    }

    void onFrame(ByteBuf buffer, int index, int length) {
        ReplySink sink = pending.isEmpty() || ReplyScanner.isPush(buffer, index) ? null : pending.poll();
        if (sink != null) {
            if (sink == runsUnanswered.peekFirst()) {
                runsUnanswered.poll();
                if (run != null && runsUnanswered.isEmpty()) {
                    out.requestFlush();         // the run held open leaves at the end of this turn
                }
            }
            progressNanos = time.monotonicNanos();
            sink.onReply(buffer, index, length);
            closeIfIdle();
        } else {
            listener.onUnsolicited(buffer, index, length);
        }
    }

    void onClosed(String reason) {
        if (closed) {
            return;
        }
        closed = true;
        out.discard();
        runsUnanswered.clear();
        if (reason != null) {
            closeReason = reason;
        }
        endRun();                           // a run still open fails its sinks with the reason
        ReplySink sink;
        while ((sink = pending.poll()) != null) {
            try {
                sink.onFailure(closeReason);
            } catch (RuntimeException e) {
                log.warn("reply sink failed while closing link", e);
            }
        }
        listener.onClosed(this);
    }

    /** The pipeline handler: frames replies with a {@link ReplyScanner} and feeds them to the link. */
    static final class ReplyHandler extends ByteToMessageDecoder {
        private final ReplyScanner scanner = new ReplyScanner();
        private BackendLink link;

        void link(BackendLink link) {
            this.link = link;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            link.onConnected();
            super.channelActive(ctx);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            int length;
            while (in.isReadable() && (length = scanner.scan(in)) != ReplyScanner.INCOMPLETE) {
                int index = in.readerIndex();
                in.skipBytes(length);
                link.onFrame(in, index, length);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            if (ctx.channel().isWritable()) {
                link.listener.onWritable(link);
            }
            super.channelWritabilityChanged(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            try {
                super.channelInactive(ctx);
            } finally {
                link.onClosed(null);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.warn("backend link {}: {}", ctx.channel(), cause.toString());
            link.onClosed("ERR keymesh: backend link error: " + cause.getMessage());
            ctx.close();
        }
    }

    static void releaseQuietly(Object o) {
        ReferenceCountUtil.safeRelease(o);
    }
}
