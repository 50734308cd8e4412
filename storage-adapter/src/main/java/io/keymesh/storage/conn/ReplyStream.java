package io.keymesh.storage.conn;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads whole replies from a blocking stream, framed by {@link ReplyScanner} and bounded in size:
 * the reader of probes and backend control calls (docs/design/resp.md, "Readers and writers").
 * Read timeouts are the stream's own (a socket's SO_TIMEOUT, a deadline of the caller's channel).
 */
public final class ReplyStream {
    private final InputStream in;
    private final int replyBytesMax;
    private final ReplyScanner scanner = new ReplyScanner();
    private final ByteBuf buf = Unpooled.buffer(256);
    private final byte[] chunk = new byte[8192];

    /** Replies from {@code in}; one longer than {@code replyBytesMax} bytes is refused with an IOException. */
    public ReplyStream(InputStream in, int replyBytesMax) {
        this.in = in;
        this.replyBytesMax = replyBytesMax;
    }

    /**
     * The next reply, waiting for it; null when the stream ends before a reply begins.
     *
     * @throws EOFException when the stream ends inside a reply
     * @throws IOException on a read error or timeout, bytes that are not RESP, or a reply over the bound
     */
    public ReplyReader next() throws IOException {
        while (true) {
            int length = scan();
            if (length != ReplyScanner.INCOMPLETE) {
                ByteBuf frame = Unpooled.copiedBuffer(buf.slice(buf.readerIndex(), length));
                buf.skipBytes(length).discardReadBytes();
                return new ReplyReader(frame);
            }
            if (buf.readableBytes() > replyBytesMax) {
                throw new IOException("reply of more than " + replyBytesMax + " bytes is over the limit");
            }
            int n = in.read(chunk, 0, Math.min(chunk.length, replyBytesMax + 1 - buf.readableBytes()));
            if (n < 0) {
                if (!buf.isReadable()) {
                    return null;
                }
                throw new EOFException("connection closed inside a reply");
            }
            buf.writeBytes(chunk, 0, n);
        }
    }

    private int scan() throws IOException {
        if (!buf.isReadable()) {
            return ReplyScanner.INCOMPLETE;
        }
        try {
            return scanner.scan(buf);
        } catch (IllegalStateException e) {
            throw new IOException("not a RESP reply: " + e.getMessage(), e);
        }
    }
}
