package io.keymesh.proxy.route;

import io.keymesh.storage.apply.ApplyCalls;
import io.keymesh.storage.conn.RespCommand;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;

/**
 * RESP pieces the write path puts around a client's own bytes: a client command renamed (EVAL to
 * EVAL_RO), where a frame's arguments start, bulk strings. The apply library's calls themselves are
 * built by {@link ApplyCalls}; the client's bytes are never copied here.
 */
public final class WriteEncoder {

    private WriteEncoder() {
    }

    /** The request {@code frame} with its command name replaced by {@code name}: its prefix, up to the arguments. */
    public static ByteBuf renamedPrefix(ByteBufAllocator alloc, int argc, String name) {
        ByteBuf out = alloc.buffer(32);
        RespCommand.writeHeader(out, '*', argc);
        writeBulk(out, name.getBytes(StandardCharsets.US_ASCII));
        return out;
    }

    /** Index of the command name's bulk header ("$3\r\nSET...") in a multibulk frame: just past its "*argc" line. */
    public static int argumentsStart(ByteBuf buffer, int frameIndex, int frameLength) {
        int lf = buffer.indexOf(frameIndex, frameIndex + frameLength, (byte) '\n');
        if (lf < 0) {
            throw new IllegalArgumentException("not a multibulk frame");
        }
        return lf + 1;
    }

    /** {@code text} as a RESP bulk string. */
    static byte[] bulk(String text) {
        return ("$" + text.length() + "\r\n" + text + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes {@code value} as a RESP bulk string. */
    static void writeBulk(ByteBuf out, byte[] value) {
        RespCommand.writeBulk(out, value);
    }
}
