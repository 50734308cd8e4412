package io.keymesh.proxy.session;

import io.keymesh.storage.apply.StateKeys;
import io.keymesh.storage.conn.RespCommand;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;

/**
 * Client-side caching's invalidation messages as Redis sends them ({@code >2 invalidate <keys>},
 * the keys an array of bulk strings, or a null after a flush), and the two things keymesh does to
 * them: it takes out the names of keymesh's node-state keys ({@link StateKeys}), which Redis reports
 * to a client tracking in broadcast mode because tracking is not per database, and it re-frames
 * one as a RESP2 {@code __redis__:invalidate} Pub/Sub message for a redirect target that speaks RESP2.
 */
public final class Invalidations {
    private static final byte[] PUSH_HEADER = ">2\r\n$10\r\ninvalidate\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MESSAGE_HEADER = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    private Invalidations() {
    }

    /** True when the frame is an {@code invalidate} push. */
    public static boolean isInvalidate(ByteBuf buffer, int index, int length) {
        if (length <= PUSH_HEADER.length || buffer.getByte(index) != '>') {
            return false;
        }
        for (int i = 1; i < PUSH_HEADER.length; i++) {
            if (buffer.getByte(index + i) != PUSH_HEADER[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The invalidate push without node-state key names: {@code null} when it names none (send the
     * frame as it is), an empty buffer when it named nothing else (send nothing), else a new frame.
     */
    public static ByteBuf withoutStateKeys(ByteBufAllocator alloc, ByteBuf buffer, int index, int length) {
        int at = index + PUSH_HEADER.length;
        int end = index + length;
        if (buffer.getByte(at) != '*') {
            return null;                                  // a flush's null: every key
        }
        int eol = crlf(buffer, at, end);
        long count = parse(buffer, at + 1, eol);
        int first = eol + 2;
        int kept = 0;
        boolean dropped = false;
        int p = first;
        for (long k = 0; k < count; k++) {
            int lenEnd = crlf(buffer, p, end);
            int len = (int) parse(buffer, p + 1, lenEnd);
            if (StateKeys.isStateKey(buffer, lenEnd + 2, len)) {
                dropped = true;
            } else {
                kept++;
            }
            p = lenEnd + 2 + len + 2;
        }
        if (!dropped) {
            return null;
        }
        if (kept == 0) {
            return Unpooled.EMPTY_BUFFER;
        }
        ByteBuf out = alloc.buffer(length);
        out.writeBytes(PUSH_HEADER);
        RespCommand.writeHeader(out, '*', kept);
        p = first;
        for (long k = 0; k < count; k++) {
            int lenEnd = crlf(buffer, p, end);
            int len = (int) parse(buffer, p + 1, lenEnd);
            int next = lenEnd + 2 + len + 2;
            if (!StateKeys.isStateKey(buffer, lenEnd + 2, len)) {
                out.writeBytes(buffer, p, next - p);
            }
            p = next;
        }
        return out;
    }

    /** The invalidate push re-framed as Redis sends it to a RESP2 redirect target in Pub/Sub mode. */
    public static ByteBuf asMessage(ByteBufAllocator alloc, ByteBuf push) {
        int payload = push.readableBytes() - PUSH_HEADER.length;
        ByteBuf out = alloc.buffer(MESSAGE_HEADER.length + payload);
        out.writeBytes(MESSAGE_HEADER);
        out.writeBytes(push, push.readerIndex() + PUSH_HEADER.length, payload);
        return out;
    }

    /** Redis' push to a RESP3 tracking client whose redirect target is gone. */
    public static ByteBuf redirectBroken(ByteBufAllocator alloc, long target) {
        ByteBuf out = alloc.buffer(48);
        out.writeCharSequence(">2\r\n$21\r\ntracking-redir-broken\r\n:" + target + "\r\n", StandardCharsets.US_ASCII);
        return out;
    }

    private static int crlf(ByteBuf buffer, int from, int end) {
        int i = buffer.indexOf(from, end, (byte) '\r');
        if (i < 0) {
            throw new IllegalArgumentException("invalidate push without CRLF");
        }
        return i;
    }

    private static long parse(ByteBuf buffer, int from, int to) {
        long value = 0;
        for (int i = from; i < to; i++) {
            value = value * 10 + (buffer.getByte(i) - '0');
        }
        return value;
    }
}
