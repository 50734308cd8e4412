package io.keymesh.proxy.server;

import io.keymesh.proxy.resp.RespFrameDecoder;
import io.keymesh.proxy.route.CommandDispatcher;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

/**
 * The only place the client pipeline is built:
 * <pre>
 *   bytes -> [SslHandler -> TlsHandshakeHandler] -> RespFrameDecoder -> SessionHandler -> CommandDispatcher
 *         -> backend link or local reply
 * </pre>
 * The TLS handlers come first on the TLS port only.
 * Replies are written by the session in request order, as the bytes Redis sent or keymesh built.
 */
public final class ClientChannelInitializer extends ChannelInitializer<Channel> {
    private final NodeContext node;
    private final NettyTls tls;

    /** The pipeline of the plain port ({@code tls} null) or of the TLS port. */
    public ClientChannelInitializer(NodeContext node, NettyTls tls) {
        this.node = node;
        this.tls = tls;
    }

    @Override
    protected void initChannel(Channel ch) {
        RespFrameDecoder decoder = new RespFrameDecoder(node.config().respLimits(), node.users().defaultLogsInAlone());
        CommandDispatcher dispatcher = new CommandDispatcher(node);
        if (tls != null) {
            ch.pipeline()
                    .addLast("tls", tls.serverHandler(ch.alloc()))
                    .addLast("tls-handshake", new TlsHandshakeHandler(tls.nodeTls().incoming()));
        }
        ch.pipeline()
                .addLast("resp", decoder)
                .addLast("session", new SessionHandler(node, dispatcher, decoder));
    }
}
