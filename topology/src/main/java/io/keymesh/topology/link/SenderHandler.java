package io.keymesh.topology.link;

import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.RespFormatException;
import io.keymesh.topology.wire.RespParser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The handler a client connection gets once it has switched into a link: it reads the peer's
 * acknowledgements, wakes the {@link SendLink} when the channel becomes writable again, and stops
 * it when the connection closes.
 */
public final class SenderHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(SenderHandler.class);

    private final SendLink sender;
    private final Runnable onClose;
    private final RespParser parser = new RespParser(64 * 1024, 64);
    private CompositeByteBuf pending;

    public SenderHandler(SendLink sender, Runnable onClose) {
        this.sender = sender;
        this.onClose = onClose;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        if (pending == null) {
            pending = ctx.alloc().compositeBuffer();
        }
        pending.addComponent(true, in);
        try {
            Object value;
            while (pending.isReadable() && (value = parser.parse(pending)) != RespParser.INCOMPLETE) {
                LinkFrame frame = Frames.decode(value);
                if (frame instanceof LinkFrame.Ack ack) {
                    sender.onAck(ack.origin(), ack.seq());
                } else {
                    throw new RespFormatException("unexpected frame from the pulling side: " + frame);
                }
            }
            pending.discardReadComponents();
        } catch (RespFormatException e) {
            log.warn("link {}: bad frame from peer, closing: {}", sender.status().peerId(), e.getMessage());
            ctx.close();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        sender.onWritabilityChanged();
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        sender.stop();
        if (pending != null) {
            pending.release();
            pending = null;
        }
        onClose.run();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("link {}: connection error: {}", sender.status().peerId(), cause.toString());
        ctx.close();
    }
}
