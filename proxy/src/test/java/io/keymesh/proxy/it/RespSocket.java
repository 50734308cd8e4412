package io.keymesh.proxy.it;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A raw RESP client over a plain {@link Socket} on 127.0.0.1: writes exactly the bytes a test gives
 * it and reads replies one frame at a time, either decoded ({@link #read()}) or as the exact bytes
 * the server sent ({@link #readRaw()}). Every read is bounded by the socket timeout.
 *
 * <p>Decoded reply types: simple string and bulk string: {@link String} (bulk: UTF-8); error:
 * {@link Err}; integer: {@link Long}; null: {@code null}; array and set: {@link List}; map:
 * {@link LinkedHashMap}; push: {@link Push}; double: {@link Double}; boolean: {@link Boolean};
 * verbatim string: {@link Verbatim}; big number: {@link BigInteger}.
 */
public final class RespSocket implements AutoCloseable {
    /** An error reply; {@code message} has no leading dash. */
    public record Err(String message) {
    }

    /** A RESP3 push frame. */
    public record Push(List<Object> items) {
    }

    /** A RESP3 verbatim string. */
    public record Verbatim(String format, String text) {
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private ByteArrayOutputStream recording;

    public RespSocket(int port, Duration readTimeout) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        socket.setSoTimeout((int) readTimeout.toMillis());
        in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        out = socket.getOutputStream();
    }

    public Socket socket() {
        return socket;
    }

    /** Changes the read timeout. */
    public RespSocket timeout(Duration readTimeout) throws IOException {
        socket.setSoTimeout((int) readTimeout.toMillis());
        return this;
    }

    /** Encodes {@code args} as one RESP multibulk request. */
    public static byte[] encode(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        encodeInto(buf, args);
        return buf.toByteArray();
    }

    public static void encodeInto(ByteArrayOutputStream buf, String... args) {
        buf.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (String arg : args) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            buf.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            buf.writeBytes(bytes);
            buf.writeBytes(new byte[] {'\r', '\n'});
        }
    }

    /** Writes one request without reading. */
    public RespSocket send(String... args) throws IOException {
        return sendRaw(encode(args));
    }

    /** Writes bytes as they are, in one write. */
    public RespSocket sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    public RespSocket sendRaw(String ascii) throws IOException {
        return sendRaw(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Sends one request and reads its decoded reply. */
    public Object call(String... args) throws IOException {
        send(args);
        return read();
    }

    /** Sends one request and returns its reply's exact bytes (ISO-8859-1, so every byte maps to a char). */
    public String callRaw(String... args) throws IOException {
        send(args);
        return readRaw();
    }

    /** Reads one reply frame, decoded. */
    public Object read() throws IOException {
        return parse();
    }

    /** Reads one reply frame and returns the bytes it consisted of (ISO-8859-1). */
    public String readRaw() throws IOException {
        recording = new ByteArrayOutputStream();
        try {
            parse();
            return recording.toString(StandardCharsets.ISO_8859_1);
        } finally {
            recording = null;
        }
    }

    /**
     * Reads one reply frame of any nesting depth without recursion (a script may return a table
     * nested thousands deep) and returns its bytes (ISO-8859-1).
     */
    public String readRawFrame() throws IOException {
        recording = new ByteArrayOutputStream();
        try {
            long missing = 1;                    // items still to read, over every open aggregate
            while (missing > 0) {
                int type = next();
                String header = line();
                missing--;
                switch (type) {
                    case '$', '=', '!' -> {
                        int len = Integer.parseInt(header);
                        if (len >= 0) {
                            bytes(len);
                        }
                    }
                    case '*', '~', '>' -> missing += Math.max(0, Long.parseLong(header));
                    case '%', '|' -> missing += 2 * Long.parseLong(header) + (type == '|' ? 1 : 0);
                    default -> {
                    }
                }
            }
            return recording.toString(StandardCharsets.ISO_8859_1);
        } finally {
            recording = null;
        }
    }

    /** True when the peer closed the connection within {@code within} (no further bytes arrive). */
    public boolean closedByPeer(Duration within) throws IOException {
        int saved = socket.getSoTimeout();
        socket.setSoTimeout((int) within.toMillis());
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;                      // connection reset counts as closed
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(saved);
            }
        }
    }

    /** True when no byte arrives within {@code within}. */
    public boolean silentFor(Duration within) throws IOException {
        int saved = socket.getSoTimeout();
        socket.setSoTimeout((int) within.toMillis());
        try {
            in.mark(1);
            int b = in.read();
            if (b >= 0) {
                in.reset();
                return false;
            }
            return false;                    // EOF is not silence
        } catch (SocketTimeoutException e) {
            return true;
        } finally {
            socket.setSoTimeout(saved);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    // ---- parsing ------------------------------------------------------------------------------

    private int next() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException("connection closed by the server");
        }
        if (recording != null) {
            recording.write(b);
        }
        return b;
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = next();
            if (b == '\r') {
                int lf = next();
                if (lf != '\n') {
                    throw new IOException("malformed reply: CR not followed by LF after '" + sb + "'");
                }
                return sb.toString();
            }
            sb.append((char) b);
        }
    }

    private byte[] bytes(int n) throws IOException {
        byte[] data = new byte[n];
        int off = 0;
        while (off < n) {
            int r = in.read(data, off, n - off);
            if (r < 0) {
                throw new EOFException("connection closed in the middle of a bulk reply");
            }
            off += r;
        }
        if (recording != null) {
            recording.write(data, 0, n);
        }
        if (next() != '\r' || next() != '\n') {
            throw new IOException("bulk reply not terminated by CRLF");
        }
        return data;
    }

    /** Reads a bulk string's bytes (null for a null bulk); for large values. */
    public byte[] readBulkBytes() throws IOException {
        int type = next();
        String header = line();
        if (type != '$') {
            throw new IOException("expected a bulk reply, got " + (char) type + header);
        }
        int len = Integer.parseInt(header);
        return len < 0 ? null : bytes(len);
    }

    private Object parse() throws IOException {
        int type = next();
        String header = line();
        switch (type) {
            case '+':
                return header;
            case '-':
                return new Err(header);
            case ':':
                return Long.parseLong(header);
            case '$': {
                int len = Integer.parseInt(header);
                return len < 0 ? null : new String(bytes(len), StandardCharsets.UTF_8);
            }
            case '!': {
                return new Err(new String(bytes(Integer.parseInt(header)), StandardCharsets.UTF_8));
            }
            case '=': {
                String s = new String(bytes(Integer.parseInt(header)), StandardCharsets.UTF_8);
                return new Verbatim(s.substring(0, 3), s.substring(4));
            }
            case '*':
            case '~':
            case '>': {
                int n = Integer.parseInt(header);
                if (n < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    items.add(parse());
                }
                return type == '>' ? new Push(items) : items;
            }
            case '%': {
                int n = Integer.parseInt(header);
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    Object k = parse();
                    map.put(k, parse());
                }
                return map;
            }
            case '|': {
                int n = Integer.parseInt(header);
                for (int i = 0; i < 2 * n; i++) {
                    parse();
                }
                return parse();
            }
            case '_':
                return null;
            case ',':
                return Double.parseDouble(header.replace("inf", "Infinity"));
            case '#':
                return header.equals("t");
            case '(':
                return new BigInteger(header);
            default:
                throw new IOException("unknown reply type '" + (char) type + "' (line: " + header + ")");
        }
    }
}
