package io.keymesh.proxy.resp;

import io.keymesh.storage.conn.RespCommand;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds request frame boundaries in a client's byte stream and emits one {@link RespRequest} per
 * request, or one {@link RespProtocolError} after which it ignores the rest of the stream.
 *
 * <h2>Design</h2>
 * A request is either a multibulk ({@code *N\r\n} followed by N {@code $len\r\n<bytes>\r\n}) or an
 * inline line ({@code PING\r\n}), exactly as Redis accepts them. The decoder is a small state
 * machine over the cumulated input that remembers how far it has validated the current frame
 * ({@link #scanned}, {@link #argsExpected}, {@link #argsSeen}, {@link #bulkLength}), so a 512 MB
 * value arriving in 64 KB reads is scanned once, not once per read. A complete multibulk frame is
 * emitted as a position in the input, which the request keeps one reference to: its bytes are
 * forwarded to Redis without being decoded.
 * Inline requests, which are rare, are re-encoded as multibulk so the backend link only ever
 * carries one framing. Every limit comes from {@link RespLimits}; errors use Redis' texts.
 */
public final class RespFrameDecoder extends ByteToMessageDecoder {
    private static final int COUNT_LINE_MAX = 64 * 1024;

    private final RespLimits limits;
    private boolean authenticated;
    private boolean failed;

    // state of the frame being scanned, relative to the input's readerIndex
    private int scanned;
    private int argsExpected = -1;
    private int argsSeen;
    private int bulkLength = -1;
    private int[] spans = new int[16];

    public RespFrameDecoder(RespLimits limits, boolean authenticated) {
        this.limits = limits;
        this.authenticated = authenticated;
    }

    /** Lifts the stricter limits for unauthenticated clients once the session has authenticated. */
    public void authenticated(boolean value) {
        this.authenticated = value;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (!failed && in.isReadable()) {
            Object next = argsExpected < 0 && scanned == 0 && in.getByte(in.readerIndex()) != '*'
                    ? decodeInline(ctx, in) : decodeMultibulk(in);
            if (next == null) {
                return;
            }
            if (next instanceof RespProtocolError) {
                failed = true;
                in.skipBytes(in.readableBytes());
            }
            if (next != SKIP) {
                out.add(next);
                if (!authenticated) {
                    return;   // the request runs before the next is framed: an AUTH in it lifts the limits for the rest
                }
            }
        }
        if (failed) {
            in.skipBytes(in.readableBytes());
        }
    }

    private static final Object SKIP = new Object();

    private Object decodeMultibulk(ByteBuf in) {
        int base = in.readerIndex();
        int end = in.writerIndex();
        if (argsExpected < 0) {
            long count = fastCount(in, base + 1, end);
            int lf = lineFeed;
            if (count == SLOW_PATH) {
                lf = in.indexOf(base, end, (byte) '\n');
                if (lf < 0) {
                    return in.readableBytes() > COUNT_LINE_MAX ? error("Protocol error: too big mbulk count string") : null;
                }
                count = parseCount(in, base + 1, lf);
            }
            int argumentCountMax = authenticated ? limits.argumentCountMax() : limits.unauthenticatedArgumentCountMax();
            if (count == Long.MIN_VALUE || count > Integer.MAX_VALUE) {
                return error("Protocol error: invalid multibulk length");
            }
            if (count > argumentCountMax) {
                return error(authenticated ? "Protocol error: invalid multibulk length"
                        : "Protocol error: unauthenticated multibulk length");
            }
            if (count <= 0) {           // "*0\r\n" and "*-1\r\n" are accepted and ignored, as Redis does
                in.readerIndex(lf + 1);
                return SKIP;
            }
            argsExpected = (int) count;
            argsSeen = 0;
            scanned = lf + 1 - base;
            if (spans.length < argsExpected * 2L) {
                spans = new int[Math.min(argsExpected, 1024) * 2];   // never trust the declared size fully
            }
        }
        while (argsSeen < argsExpected) {
            if (bulkLength < 0) {
                int at = base + scanned;
                if (at >= end) {
                    return null;
                }
                byte type = in.getByte(at);
                if (type != '$') {
                    return error("Protocol error: expected '$', got '" + printable(type) + "'");
                }
                long length = fastCount(in, at + 1, end);
                int lf = lineFeed;
                if (length == SLOW_PATH) {
                    lf = in.indexOf(at, end, (byte) '\n');
                    if (lf < 0) {
                        return end - at > COUNT_LINE_MAX ? error("Protocol error: too big bulk count string") : null;
                    }
                    length = parseCount(in, at + 1, lf);
                }
                long bulkMax = authenticated ? limits.bulkLengthMax() : limits.unauthenticatedBulkLengthMax();
                if (length == Long.MIN_VALUE || length < 0) {
                    return error("Protocol error: invalid bulk length");
                }
                if (length > bulkMax) {
                    return error(authenticated ? "Protocol error: invalid bulk length"
                            : "Protocol error: unauthenticated bulk length");
                }
                bulkLength = (int) length;
                scanned = lf + 1 - base;
            }
            long need = (long) scanned + bulkLength + 2;
            if (base + need > end) {
                return null;
            }
            int payload = base + scanned;
            if (in.getByte(payload + bulkLength) != '\r' || in.getByte(payload + bulkLength + 1) != '\n') {
                return error("Protocol error: bulk string not terminated by CRLF");
            }
            int slot = argsSeen * 2;
            if (slot + 1 >= spans.length) {
                int[] grown = new int[(int) Math.min(argsExpected * 2L, Math.max(spans.length * 2, 16))];   // long: no overflow
                System.arraycopy(spans, 0, grown, 0, spans.length);
                spans = grown;
            }
            spans[slot] = scanned;
            spans[slot + 1] = bulkLength;
            scanned = (int) need;
            bulkLength = -1;
            argsSeen++;
        }
        int[] frameSpans = new int[argsExpected * 2];
        System.arraycopy(spans, 0, frameSpans, 0, frameSpans.length);
        RespRequest request = new RespRequest(in.retain(), base, scanned, frameSpans);
        in.readerIndex(base + scanned);
        resetFrame();
        return request;
    }

    private void resetFrame() {
        scanned = 0;
        argsExpected = -1;
        argsSeen = 0;
        bulkLength = -1;
        if (spans.length > 1024) {
            spans = new int[16];
        }
    }

    private Object decodeInline(ChannelHandlerContext ctx, ByteBuf in) {
        int base = in.readerIndex();
        int lf = in.indexOf(base, in.writerIndex(), (byte) '\n');
        if (lf < 0) {
            return in.readableBytes() > limits.inlineLengthMax() ? error("Protocol error: too big inline request") : null;
        }
        if (lf - base > limits.inlineLengthMax()) {
            return error("Protocol error: too big inline request");
        }
        int lineEnd = lf > base && in.getByte(lf - 1) == '\r' ? lf - 1 : lf;
        byte[] line = new byte[lineEnd - base];
        in.getBytes(base, line);
        in.readerIndex(lf + 1);
        List<byte[]> args = InlineSplitter.split(line);
        if (args == null) {
            return error("Protocol error: unbalanced quotes in request");
        }
        if (args.isEmpty()) {
            return SKIP;
        }
        ByteBuf frame = ctx.alloc().buffer(RespCommand.encodedLength(args));
        int[] frameSpans = new int[args.size() * 2];
        RespCommand.writeHeader(frame, '*', args.size());
        for (int i = 0; i < args.size(); i++) {
            byte[] arg = args.get(i);
            RespCommand.writeHeader(frame, '$', arg.length);
            frameSpans[i * 2] = frame.writerIndex();
            frameSpans[i * 2 + 1] = arg.length;
            frame.writeBytes(arg).writeByte('\r').writeByte('\n');
        }
        return new RespRequest(frame, 0, frame.readableBytes(), frameSpans);
    }

    private RespProtocolError error(String message) {
        resetFrame();
        return new RespProtocolError("ERR " + message);
    }

    private static String printable(byte b) {
        return b >= 32 && b < 127 ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }

    /** {@link #fastCount} could not parse a complete, well-formed count line: take the general path. */
    private static final long SLOW_PATH = Long.MIN_VALUE + 1;
    private int lineFeed;       // set by fastCount: where the count line's LF is

    /**
     * One pass over a well-formed, complete count line ({@code digits CR LF}, at most 18 digits, no
     * leading zero, optional minus): its value, with the LF's index in {@link #lineFeed}. Anything
     * else (incomplete, malformed, too long) returns {@link #SLOW_PATH}, and the general path
     * ({@code indexOf} + {@link #parseCount}) decides exactly as before. This replaces a search for
     * LF followed by a second pass over the same few bytes on every argument.
     */
    private long fastCount(ByteBuf in, int from, int end) {
        int i = from;
        boolean negative = i < end && in.getByte(i) == '-';
        if (negative) {
            i++;
        }
        int digits = i;
        long value = 0;
        for (; i < end && i - from < 18; i++) {
            int d = in.getByte(i) - '0';
            if (d < 0 || d > 9) {
                break;
            }
            value = value * 10 + d;
        }
        int count = i - digits;
        if (count == 0 || i + 1 >= end || in.getByte(i) != '\r' || in.getByte(i + 1) != '\n'
                || (in.getByte(digits) == '0' && (negative || count > 1))) {
            return SLOW_PATH;
        }
        lineFeed = i + 1;
        return negative ? -value : value;
    }

    /** Parses the decimal between {@code from} and the CR before {@code lf}; MIN_VALUE if malformed. */
    static long parseCount(ByteBuf in, int from, int lf) {
        int to = lf;
        if (to > from && in.getByte(to - 1) == '\r') {
            to--;
        } else {
            return Long.MIN_VALUE;      // Redis requires CRLF after a count
        }
        if (to == from || to - from > 18) {
            return Long.MIN_VALUE;
        }
        boolean negative = in.getByte(from) == '-';
        int i = negative ? from + 1 : from;
        if (i == to) {
            return Long.MIN_VALUE;
        }
        if (in.getByte(i) == '0' && (negative || to - i > 1)) {
            return Long.MIN_VALUE;      // like Redis' string2ll: no leading zeros, no "-0" (the frame is forwarded as is)
        }
        long value = 0;
        for (; i < to; i++) {
            int d = in.getByte(i) - '0';
            if (d < 0 || d > 9) {
                return Long.MIN_VALUE;
            }
            value = value * 10 + d;
        }
        return negative ? -value : value;
    }

    /** Splits an inline request line into arguments with Redis' quoting rules; null when quotes are unbalanced. */
    static final class InlineSplitter {
        private InlineSplitter() {
        }

        static List<byte[]> split(byte[] line) {
            List<byte[]> args = new ArrayList<>();
            int i = 0;
            int n = line.length;
            while (true) {
                while (i < n && isSpace(line[i])) {
                    i++;
                }
                if (i >= n) {
                    return args;
                }
                ByteArrayOutputStream current = new ByteArrayOutputStream();
                boolean inDouble = false;
                boolean inSingle = false;
                boolean done = false;
                while (!done) {
                    if (inDouble) {
                        if (i >= n) {
                            return null;
                        }
                        byte c = line[i];
                        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && isHex(line[i + 2]) && isHex(line[i + 3])) {
                            current.write(Character.digit(line[i + 2], 16) * 16 + Character.digit(line[i + 3], 16));
                            i += 3;
                        } else if (c == '\\' && i + 1 < n) {
                            i++;
                            byte e = line[i];
                            current.write(switch (e) {
                                case 'n' -> '\n';
                                case 'r' -> '\r';
                                case 't' -> '\t';
                                case 'b' -> '\b';
                                case 'a' -> 7;
                                default -> e;
                            });
                        } else if (c == '"') {
                            if (i + 1 < n && !isSpace(line[i + 1])) {
                                return null;
                            }
                            done = true;
                        } else {
                            current.write(c);
                        }
                    } else if (inSingle) {
                        if (i >= n) {
                            return null;
                        }
                        byte c = line[i];
                        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
                            i++;
                            current.write('\'');
                        } else if (c == '\'') {
                            if (i + 1 < n && !isSpace(line[i + 1])) {
                                return null;
                            }
                            done = true;
                        } else {
                            current.write(c);
                        }
                    } else {
                        if (i >= n) {
                            done = true;
                            continue;
                        }
                        byte c = line[i];
                        if (isSpace(c)) {
                            done = true;
                        } else if (c == '"') {
                            inDouble = true;
                        } else if (c == '\'') {
                            inSingle = true;
                        } else {
                            current.write(c);
                        }
                    }
                    if (i < n) {
                        i++;
                    }
                }
                args.add(current.toByteArray());
            }
        }

        private static boolean isSpace(byte c) {
            return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 11 || c == '\f';
        }

        private static boolean isHex(byte c) {
            return Character.digit(c, 16) >= 0;
        }
    }

}
