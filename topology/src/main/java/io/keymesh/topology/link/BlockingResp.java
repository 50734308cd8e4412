package io.keymesh.topology.link;

import io.keymesh.topology.wire.RespWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.List;

/** The blocking-socket side of a pulling link (peer or replica): write one RESP command, close the socket quietly. */
final class BlockingResp {
    private BlockingResp() {
    }

    /** Encodes {@code args} as one RESP array, writes it to {@code out} and flushes. */
    static void send(OutputStream out, List<byte[]> args) throws IOException {
        ByteBuf buf = Unpooled.buffer(RespWriter.encodedLength(args));
        RespWriter.write(buf, args);
        out.write(buf.array(), buf.arrayOffset(), buf.readableBytes());
        out.flush();
    }

    /** Closes {@code s} if there is one, ignoring that it may already be closed. */
    static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }
}
