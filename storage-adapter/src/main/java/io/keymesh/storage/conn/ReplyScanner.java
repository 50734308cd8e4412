package io.keymesh.storage.conn;

import io.netty.buffer.ByteBuf;

/**
 * Finds where one RESP2/RESP3 reply ends in a byte stream from Redis, without building objects.
 *
 * <h2>Design</h2>
 * A reply is one item; aggregate items ({@code * % ~ > |}) contain further items. The scanner keeps
 * a stack of "items still missing" per open aggregate and resumes where it stopped when more bytes
 * arrive, so a large bulk reply is scanned once. An attribute ({@code |}) is part of the frame of the
 * item that follows it. {@link #scan} returns the frame length once a whole reply is available and
 * then starts over for the next one. Push replies ({@code >}) are frames like any other; the caller
 * tells them apart with {@link #isPush}. The stack is an array that grows with the nesting, never
 * the Java call stack, so a reply of any depth Redis produces (a script may return a table nested
 * thousands deep) is framed; its memory is 9 bytes per open level, bounded by the reply's own size.
 */
public final class ReplyScanner {
    /** Returned by {@link #scan} while the current reply is incomplete. */
    public static final int INCOMPLETE = -1;
    private static final int LINE_MAX = 64 * 1024;

    private int scanned;              // bytes of the current frame validated so far
    private long pendingBulk = -1;    // payload + CRLF still to skip for the current bulk item
    private int depth;
    private long[] missing = new long[16];       // items missing per open aggregate
    private boolean[] attribute = new boolean[16];

    /**
     * Scans from {@code buf.readerIndex()}; returns the length of a complete reply starting there, or
     * {@link #INCOMPLETE}. Throws {@link IllegalStateException} on bytes that are not RESP.
     */
    public int scan(ByteBuf buf) {
        int base = buf.readerIndex();
        int end = buf.writerIndex();
        while (true) {
            if (pendingBulk >= 0) {
                if (base + scanned + pendingBulk > end) {
                    return INCOMPLETE;
                }
                scanned += (int) pendingBulk;
                pendingBulk = -1;
                if (itemDone()) {
                    return finish();
                }
                continue;
            }
            int at = base + scanned;
            if (at >= end) {
                return INCOMPLETE;
            }
            int lf = buf.indexOf(at, end, (byte) '\n');
            if (lf < 0) {
                if (end - at > LINE_MAX) {
                    throw new IllegalStateException("reply line longer than " + LINE_MAX + " bytes");
                }
                return INCOMPLETE;
            }
            byte type = buf.getByte(at);
            int next = lf + 1 - base;
            switch (type) {
                case '+', '-', ':', '_', ',', '#', '(' -> {
                    scanned = next;
                    if (itemDone()) {
                        return finish();
                    }
                }
                case '$', '!', '=' -> {
                    long length = parseLength(buf, at + 1, lf);
                    scanned = next;
                    if (length < 0) {            // $-1: null bulk
                        if (itemDone()) {
                            return finish();
                        }
                    } else {
                        pendingBulk = length + 2;
                    }
                }
                case '*', '%', '~', '>', '|' -> {
                    long count = parseLength(buf, at + 1, lf);
                    scanned = next;
                    long items = type == '%' || type == '|' ? count * 2 : count;
                    if (items <= 0) {
                        if (type == '|') {
                            continue;           // an empty attribute still precedes an item
                        }
                        if (itemDone()) {
                            return finish();
                        }
                    } else {
                        push(items, type == '|');
                    }
                }
                default -> throw new IllegalStateException("not a RESP reply: type byte 0x" + Integer.toHexString(type & 0xff));
            }
        }
    }

    /** True when the frame starting at {@code index} is a RESP3 push. */
    public static boolean isPush(ByteBuf buf, int index) {
        return buf.getByte(index) == '>';
    }

    /** True when the frame starting at {@code index} is an error reply. */
    public static boolean isError(ByteBuf buf, int index) {
        byte type = buf.getByte(index);
        return type == '-' || type == '!';
    }

    /** Forgets a partly scanned reply (after the connection is gone). */
    public void reset() {
        scanned = 0;
        pendingBulk = -1;
        depth = 0;
    }

    private int finish() {
        int length = scanned;
        reset();
        return length;
    }

    private void push(long items, boolean isAttribute) {
        if (depth == missing.length) {
            missing = java.util.Arrays.copyOf(missing, depth * 2);
            attribute = java.util.Arrays.copyOf(attribute, depth * 2);
        }
        missing[depth] = items;
        attribute[depth] = isAttribute;
        depth++;
    }

    /** Accounts for one finished item; true when that finishes the whole reply. */
    private boolean itemDone() {
        while (depth > 0) {
            if (--missing[depth - 1] > 0) {
                return false;
            }
            depth--;
            if (attribute[depth]) {
                return false;               // the attributed item itself still follows
            }
        }
        return true;
    }

    private static long parseLength(ByteBuf buf, int from, int lf) {
        int to = lf > from && buf.getByte(lf - 1) == '\r' ? lf - 1 : lf;
        if (to == from || to - from > 18) {
            throw new IllegalStateException("bad length in reply");
        }
        boolean negative = buf.getByte(from) == '-';
        long value = 0;
        for (int i = negative ? from + 1 : from; i < to; i++) {
            int d = buf.getByte(i) - '0';
            if (d < 0 || d > 9) {
                throw new IllegalStateException("bad length in reply");
            }
            value = value * 10 + d;
        }
        return negative ? -value : value;
    }
}
