package io.keymesh.topology.health;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads RESP2 replies from a blocking stream for the health probe: simple strings, errors, integers,
 * bulk strings and arrays, into plain Java values. Bounded: bulks over {@code bulkBytesMax} and arrays
 * over {@code arrayLengthMax} are refused, so a misbehaving upstream cannot make a check allocate much.
 */
final class RespReplyReader {
    /** A -ERR style reply. */
    record ErrorReply(String message) {
    }

    private final InputStream in;
    private final int bulkBytesMax;
    private final int arrayLengthMax;

    RespReplyReader(InputStream in, int bulkBytesMax, int arrayLengthMax) {
        this.in = in;
        this.bulkBytesMax = bulkBytesMax;
        this.arrayLengthMax = arrayLengthMax;
    }

    /**
     * The next reply: a String (simple or bulk), an {@link ErrorReply}, a Long, a List of replies, or
     * null for a null bulk or array.
     *
     * @throws IOException on a closed stream, a timeout, or bytes that are not RESP2
     */
    Object read() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed by upstream");
        }
        String line = readLine();
        switch (type) {
            case '+':
                return line;
            case '-':
                return new ErrorReply(line);
            case ':':
                return parseLong(line);
            case '$': {
                long n = parseLong(line);
                if (n < 0) {
                    return null;
                }
                if (n > bulkBytesMax) {
                    throw new IOException("bulk reply of " + n + " bytes is over the probe's limit");
                }
                byte[] b = in.readNBytes((int) n);
                if (b.length != n || in.read() != '\r' || in.read() != '\n') {
                    throw new EOFException("connection closed inside a bulk reply");
                }
                return new String(b, StandardCharsets.UTF_8);
            }
            case '*': {
                long n = parseLong(line);
                if (n < 0) {
                    return null;
                }
                if (n > arrayLengthMax) {
                    throw new IOException("array reply of " + n + " elements is over the probe's limit");
                }
                List<Object> items = new ArrayList<>((int) n);
                for (int i = 0; i < n; i++) {
                    items.add(read());
                }
                return items;
            }
            default:
                throw new IOException("not a RESP2 reply (first byte 0x" + Integer.toHexString(type) + ")");
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed inside a reply");
            }
            if (b == '\r') {
                if (in.read() != '\n') {
                    throw new IOException("reply line not ended by CRLF");
                }
                return out.toString(StandardCharsets.UTF_8);
            }
            if (out.size() >= bulkBytesMax) {
                throw new IOException("reply line over the probe's limit");
            }
            out.write(b);
        }
    }

    private static long parseLong(String s) throws IOException {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IOException("bad number in reply: \"" + s + "\"");
        }
    }
}
