package io.keymesh.proxy.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Writes RESP the fuzzer sends, well-formed or not, and prints bytes for a report. */
final class RespBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    RespBytes raw(String text) {
        out.writeBytes(text.getBytes(StandardCharsets.ISO_8859_1));
        return this;
    }

    RespBytes raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    /** A multibulk request of {@code args}. */
    RespBytes command(List<byte[]> args) {
        raw("*" + args.size() + "\r\n");
        for (byte[] a : args) {
            bulk(a);
        }
        return this;
    }

    RespBytes bulk(byte[] b) {
        raw("$" + b.length + "\r\n").raw(b).raw("\r\n");
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Printable ASCII as is, everything else as \xNN (\r, \n as such); the first {@code max} bytes. */
    static String escape(byte[] bytes, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(bytes.length, max); i++) {
            int b = bytes[i] & 0xff;
            if (b == '\r') {
                sb.append("\\r");
            } else if (b == '\n') {
                sb.append("\\n");
            } else if (b == '\\') {
                sb.append("\\\\");
            } else if (b >= 32 && b < 127) {
                sb.append((char) b);
            } else {
                sb.append(String.format("\\x%02x", b));
            }
        }
        if (bytes.length > max) {
            sb.append("... (").append(bytes.length - max).append(" more bytes)");
        }
        return sb.toString();
    }
}
