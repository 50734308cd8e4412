package io.keymesh.topology.link;

import io.keymesh.topology.wire.RespParser;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Splits the bytes a pulling link receives into whole RESP values with the links' reader
 * ({@link RespParser}), each passed on as a {@link Value} with its size on the wire. Bad input
 * fails the channel (the link reconnects).
 */
final class LinkFrameDecoder extends ByteToMessageDecoder {
    /** One value as {@link RespParser} gives it (null for a null reply), and the bytes it took. */
    record Value(Object value, int bytes) {
    }

    private final RespParser parser = RespParser.standard();

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            int start = in.readerIndex();
            Object value = parser.parse(in);
            if (value == RespParser.INCOMPLETE) {
                return;
            }
            out.add(new Value(value, in.readerIndex() - start));
        }
    }
}
