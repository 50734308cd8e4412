package io.keymesh.topology.wire;

import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Encodes a command or frame as a RESP array of bulk strings. Pure. */
public final class RespWriter {
    private RespWriter() {
    }

    /** Writes {@code args} as one RESP array into {@code out}. */
    public static ByteBuf write(ByteBuf out, List<byte[]> args) {
        header(out, '*', args.size());
        for (byte[] arg : args) {
            header(out, '$', arg.length);
            out.writeBytes(arg).writeByte('\r').writeByte('\n');
        }
        return out;
    }

    /** Bytes {@code args} take once encoded. */
    public static int encodedLength(List<byte[]> args) {
        int n = 1 + digits(args.size()) + 2;
        for (byte[] arg : args) {
            n += 1 + digits(arg.length) + 2 + arg.length + 2;
        }
        return n;
    }

    /** UTF-8 bytes of a string argument. */
    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** ASCII bytes of a number argument. */
    public static byte[] bytes(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    private static void header(ByteBuf out, char type, int n) {
        out.writeByte(type).writeCharSequence(Integer.toString(n), StandardCharsets.US_ASCII);
        out.writeByte('\r').writeByte('\n');
    }

    private static int digits(int n) {
        return Integer.toString(n).length();
    }
}
