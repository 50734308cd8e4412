package io.keymesh.proxy.server;

import io.keymesh.proxy.command.CommandClass;
import io.keymesh.proxy.command.CommandSpec;
import io.keymesh.proxy.resp.Replies;
import io.keymesh.proxy.resp.RespFrameDecoder;
import io.keymesh.proxy.resp.RespProtocolError;
import io.keymesh.proxy.resp.RespRequest;
import io.keymesh.proxy.route.CommandDispatcher;
import io.keymesh.proxy.session.ClientPause;
import io.keymesh.proxy.session.ClientSession;
import io.keymesh.proxy.session.Monitors;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The last handler of a client pipeline: owns the connection's {@link ClientSession}, hands each
 * request to the {@link CommandDispatcher}, answers protocol errors and closes like Redis, and
 * holds requests back while a mode switch waits for earlier replies to be written or CLIENT PAUSE
 * covers them; feeds MONITOR sessions. Requests behind an accepted KEYMESH PULL are kept, as bytes, for
 * the link sender the connection is handed to.
 */
final class SessionHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(SessionHandler.class);

    /** Commands Redis runs at once inside MULTI instead of queueing them. */
    private static final java.util.Set<String> RUN_IN_MULTI = java.util.Set.of(
            "EXEC", "DISCARD", "MULTI", "WATCH", "QUIT", "RESET");

    private final NodeContext node;
    private final CommandDispatcher dispatcher;
    private final RespFrameDecoder decoder;
    private final ArrayDeque<RespRequest> held = new ArrayDeque<>();
    private ClientSession session;

    SessionHandler(NodeContext node, CommandDispatcher dispatcher, RespFrameDecoder decoder) {
        this.node = node;
        this.dispatcher = dispatcher;
        this.decoder = decoder;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        session = ClientSession.open(ctx.channel(), node.sessions(), node.config(), node.users());
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (session == null || session.isClosing()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof RespRequest request) {
            node.sessions().bytesIn().add(request.frameLength());
            process(request);
        } else if (msg instanceof RespProtocolError error && session.handingOverToLink()) {
            log.info("client id={} addr={}: link closed, bad frame behind KEYMESH PULL: {}", session.id(),
                    session.remoteAddress(), error.message());
            session.closeNow();
        } else if (msg instanceof RespProtocolError error) {
            log.debug("client id={} addr={}: {}", session.id(), session.remoteAddress(), error.message());
            session.reply(Replies.error(ctx.alloc(), error.message()));
            session.closeAfterReplies();
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void process(RespRequest request) {
        if (session.handingOverToLink()) {
            session.keepForLink(request);      // behind an accepted KEYMESH PULL: for the link sender
            return;
        }
        if (!held.isEmpty()) {
            held.add(request);
            return;
        }
        CommandSpec spec = dispatcher.resolve(request);
        if (waits(spec)) {
            held.add(request);
            return;
        }
        dispatch(request, spec);
    }

    /**
     * True when a request of {@code spec} must wait, and then arranges for {@link #releaseHeld} to
     * run: what follows a subscribe-family command waits for its marker PING's reply
     * ({@link ClientSession#barrierRequest}), a mode switch waits for earlier replies to be written, and CLIENT PAUSE holds what it
     * covers until it ends (on a timer of this event loop, or at CLIENT UNPAUSE).
     */
    private boolean waits(CommandSpec spec) {
        if (session.barrierPending()) {
            session.channel().config().setAutoRead(false);
            session.afterBarrier(this::releaseHeld);
            return true;
        }
        if (dispatcher.needsDrainedReplies(session, spec) && session.hasPendingReplies()) {
            session.channel().config().setAutoRead(false);
            session.whenDrained(this::releaseHeld);
            return true;
        }
        long paused = session.authenticated() ? node.sessions().pause().holds(session, spec) : 0;
        if (paused > 0) {
            EventLoop loop = session.channel().eventLoop();
            ClientPause pause = node.sessions().pause();
            Runnable wake = () -> loop.execute(this::releaseHeld);
            session.channel().config().setAutoRead(false);
            loop.schedule(() -> {
                pause.forget(wake);
                releaseHeld();
            }, paused, TimeUnit.MILLISECONDS);
            pause.onUnpause(wake);
            return true;
        }
        return false;
    }

    private void releaseHeld() {
        while (!held.isEmpty() && !session.isClosing()) {
            if (session.handingOverToLink()) {
                session.keepForLink(held.poll());
                continue;
            }
            CommandSpec spec = dispatcher.resolve(held.peek());
            if (waits(spec)) {
                return;
            }
            dispatch(held.poll(), spec);
        }
        if (!session.isClosing() && !session.handingOverToLink()) {
            session.channel().config().setAutoRead(true);
        }
    }

    private void dispatch(RespRequest request, CommandSpec spec) {
        boolean wasAuthenticated = session.authenticated();
        if (spec != null && session.inMulti() && !RUN_IN_MULTI.contains(spec.name())
                && spec.arityAccepts(request.argc())) {
            session.queuedOne(spec.kind() == CommandClass.WRITE);     // CLIENT LIST's multi=, CLIENT PAUSE WRITE
        }
        Monitors monitors = node.sessions().monitors();
        Monitors.Line line = monitors.any() && Monitors.shown(spec) && spec.arityAccepts(request.argc())
                && (wasAuthenticated || spec.name().equals("AUTH") || spec.name().equals("HELLO"))
                ? monitors.capture(session, request, spec) : null;
        dispatcher.dispatch(session, request, spec);
        if (line != null) {
            line.feed(session.db());
        }
        if (session.authenticated() != wasAuthenticated) {
            decoder.authenticated(session.authenticated());
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isWritable() && session != null) {
            session.onClientWritable();
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (session != null) {
            session.closed();
        }
        RespRequest request;
        while ((request = held.poll()) != null) {
            request.release();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("client connection error: {}", cause.toString());
        } else {
            log.warn("client connection error", cause);
        }
        ctx.close();
    }
}
