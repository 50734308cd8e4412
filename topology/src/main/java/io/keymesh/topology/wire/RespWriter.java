package io.keymesh.topology.wire;

import io.keymesh.storage.conn.RespCommand;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Encodes a link command or frame as a RESP array of bulk strings, with {@link RespCommand}, keymesh's one command writer. Pure. */
public final class RespWriter {
    private RespWriter() {
    }

    /** Writes {@code args} as one RESP array into {@code out}. */
    public static ByteBuf write(ByteBuf out, List<byte[]> args) {
        return RespCommand.write(out, args);
    }

    /** Bytes {@code args} take once encoded. */
    public static int encodedLength(List<byte[]> args) {
        return RespCommand.encodedLength(args);
    }

    /** UTF-8 bytes of a string argument. */
    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** ASCII bytes of a number argument. */
    public static byte[] bytes(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }
}
