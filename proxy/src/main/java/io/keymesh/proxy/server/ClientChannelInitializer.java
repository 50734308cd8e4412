package io.keymesh.proxy.server;

import io.keymesh.proxy.resp.RespFrameDecoder;
import io.keymesh.proxy.route.CommandDispatcher;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

/**
 * The only place the client pipeline is built:
 * <pre>
 *   bytes -> RespFrameDecoder -> SessionHandler -> CommandDispatcher -> backend link or local reply
 * </pre>
 * Replies are written by the session in request order, as the bytes Redis sent or keymesh built.
 */
public final class ClientChannelInitializer extends ChannelInitializer<Channel> {
    private final NodeContext node;

    public ClientChannelInitializer(NodeContext node) {
        this.node = node;
    }

    @Override
    protected void initChannel(Channel ch) {
        RespFrameDecoder decoder = new RespFrameDecoder(node.config().respLimits(), node.users().defaultLogsInAlone());
        CommandDispatcher dispatcher = new CommandDispatcher(node);
        ch.pipeline()
                .addLast("resp", decoder)
                .addLast("session", new SessionHandler(node, dispatcher, decoder));
    }
}
