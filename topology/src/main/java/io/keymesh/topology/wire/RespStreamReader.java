package io.keymesh.topology.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/** Reads whole RESP values from a blocking stream: {@link #read} waits for the next, {@link #poll} takes one only if it has arrived. */
public final class RespStreamReader {
    private final InputStream in;
    private final RespParser parser;
    private final ByteBuf buf = Unpooled.buffer(16 * 1024);
    private final byte[] chunk = new byte[64 * 1024];
    private long bytesRead;

    public RespStreamReader(InputStream in, RespParser parser) {
        this.in = in;
        this.parser = parser;
    }

    /** The next value; EOFException when the peer closed the stream. */
    public Object read() throws IOException {
        Object value;
        while ((value = parseBuffered()) == RespParser.INCOMPLETE) {
            fill(chunk.length);
        }
        return value;
    }

    /**
     * The next value if it has already arrived (buffered, or readable from the stream without
     * blocking), else {@link RespParser#INCOMPLETE}; bytes of a value still arriving stay buffered
     * for the next call.
     */
    public Object poll() throws IOException {
        Object value;
        while ((value = parseBuffered()) == RespParser.INCOMPLETE) {
            int available = in.available();
            if (available <= 0) {
                return RespParser.INCOMPLETE;
            }
            fill(Math.min(available, chunk.length));
        }
        return value;
    }

    private Object parseBuffered() {
        if (!buf.isReadable()) {
            return RespParser.INCOMPLETE;
        }
        Object value = parser.parse(buf);
        if (value != RespParser.INCOMPLETE) {
            buf.discardSomeReadBytes();
        }
        return value;
    }

    /** Reads at most {@code max} bytes (blocking until some arrive) into the buffer. */
    private void fill(int max) throws IOException {
        int n = in.read(chunk, 0, max);
        if (n < 0) {
            throw new EOFException("connection closed by the other side");
        }
        bytesRead += n;
        buf.writeBytes(chunk, 0, n);
    }

    /** Bytes received so far. */
    public long bytesRead() {
        return bytesRead;
    }
}
