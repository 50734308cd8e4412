package io.keymesh.proxy.resp;

import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;

import java.nio.charset.StandardCharsets;

/**
 * One client request as it arrived: the whole RESP frame (a retained slice of the receive buffer,
 * forwarded to Redis as is) and where each argument lies inside it. Nothing is decoded into Java
 * objects unless a handler asks for an argument as a String.
 */
public final class RespRequest extends AbstractReferenceCounted {
    private final ByteBuf frame;
    private final int[] spans;   // offset, length pairs relative to frame.readerIndex()

    RespRequest(ByteBuf frame, int[] spans) {
        this.frame = frame;
        this.spans = spans;
    }

    /** The RESP bytes of the whole request, ready to forward. */
    public ByteBuf frame() {
        return frame;
    }

    /** Number of arguments, the command name included. */
    public int argc() {
        return spans.length >> 1;
    }

    /** Absolute index in {@link #frame()} of argument {@code i}'s first byte. */
    public int argIndex(int i) {
        return frame.readerIndex() + spans[i << 1];
    }

    public int argLength(int i) {
        return spans[(i << 1) + 1];
    }

    /** Argument {@code i} decoded as UTF-8 (for control paths only, never the hot path). */
    public String argString(int i) {
        return frame.toString(argIndex(i), argLength(i), StandardCharsets.UTF_8);
    }

    /** Argument {@code i} as raw bytes. */
    public byte[] argBytes(int i) {
        byte[] bytes = new byte[argLength(i)];
        frame.getBytes(argIndex(i), bytes);
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
            int b = frame.getByte(at + k);
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
        frame.release();
    }

    @Override
    public RespRequest touch(Object hint) {
        frame.touch(hint);
        return this;
    }
}
