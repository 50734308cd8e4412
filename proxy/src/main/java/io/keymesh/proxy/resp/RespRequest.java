package io.keymesh.proxy.resp;

import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;

import java.nio.charset.StandardCharsets;

/**
 * One client request as it arrived: where its RESP frame lies in the receive buffer (forwarded to
 * Redis as is) and where each argument lies inside it. The request holds one reference to the
 * receive buffer, not a slice, so framing a request allocates no buffer object. Nothing is decoded
 * into Java objects unless a handler asks for an argument as a String.
 */
public final class RespRequest extends AbstractReferenceCounted {
    private final ByteBuf buffer;   // the receive buffer (retained once for this request)
    private final int start;        // absolute index of the frame in buffer
    private final int length;
    private final int[] spans;      // offset, length pairs relative to start

    RespRequest(ByteBuf buffer, int start, int length, int[] spans) {
        this.buffer = buffer;
        this.start = start;
        this.length = length;
        this.spans = spans;
    }

    /** The buffer holding the frame; valid while this request is not released. */
    public ByteBuf buffer() {
        return buffer;
    }

    /** Absolute index of the frame's first byte in {@link #buffer()}. */
    public int frameIndex() {
        return start;
    }

    /** Length of the whole RESP frame in bytes. */
    public int frameLength() {
        return length;
    }

    /** A view of the frame bytes (not retained: valid while this request is not released). */
    public ByteBuf frame() {
        return buffer.slice(start, length);
    }

    /** Number of arguments, the command name included. */
    public int argc() {
        return spans.length >> 1;
    }

    /** Absolute index in {@link #buffer()} of argument {@code i}'s first byte. */
    public int argIndex(int i) {
        return start + spans[i << 1];
    }

    public int argLength(int i) {
        return spans[(i << 1) + 1];
    }

    /** Argument {@code i} decoded as UTF-8 (for control paths only, never the hot path). */
    public String argString(int i) {
        return buffer.toString(argIndex(i), argLength(i), StandardCharsets.UTF_8);
    }

    /** Argument {@code i} as raw bytes. */
    public byte[] argBytes(int i) {
        byte[] bytes = new byte[argLength(i)];
        buffer.getBytes(argIndex(i), bytes);
        return bytes;
    }

    /** Case-insensitive comparison of argument {@code i} with an ASCII word. */
    public boolean argEquals(int i, String word) {
        int len = argLength(i);
        if (len != word.length()) {
            return false;
        }
        int at = argIndex(i);
        for (int k = 0; k < len; k++) {
            int b = buffer.getByte(at + k);
            int c = word.charAt(k);
            if (b != c && Character.toUpperCase(b) != Character.toUpperCase(c)) {
                return false;
            }
        }
        return true;
    }

    /** Argument {@code i} as a long, or {@code Long.MIN_VALUE} when it is not a plain integer. */
    public long argLong(int i) {
        int len = argLength(i);
        if (len == 0 || len > 20) {
            return Long.MIN_VALUE;
        }
        try {
            return Long.parseLong(argString(i));
        } catch (NumberFormatException e) {
            return Long.MIN_VALUE;
        }
    }

    @Override
    protected void deallocate() {
        buffer.release();
    }

    @Override
    public RespRequest touch(Object hint) {
        buffer.touch(hint);
        return this;
    }
}
