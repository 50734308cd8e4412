package io.keymesh.storage.conn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

class ReplyScannerTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] bulk(byte[] payload) {
        return concat(b("$" + payload.length + "\r\n"), payload, b("\r\n"));
    }

    private static byte[] bigPayload(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    /** One complete reply of every kind, each a separate frame. */
    private static List<byte[]> sampleReplies() {
        List<byte[]> r = new ArrayList<>();
        r.add(b("+OK\r\n"));
        r.add(b("+\r\n"));                                       // empty simple string
        r.add(b("-ERR unknown command 'FOO'\r\n"));
        r.add(b("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"));
        r.add(b(":0\r\n"));
        r.add(b(":-9223372036854775808\r\n"));
        r.add(b("$5\r\nhello\r\n"));
        r.add(b("$0\r\n\r\n"));                                   // empty bulk
        r.add(b("$-1\r\n"));                                      // RESP2 null bulk
        r.add(b("*-1\r\n"));                                      // RESP2 null array
        r.add(b("$8\r\n\r\n*1\r\n$1\r\n"));                     // CRLF and RESP-looking bytes in a bulk
        r.add(b("*0\r\n"));                                       // empty aggregates
        r.add(b("%0\r\n"));
        r.add(b("~0\r\n"));
        r.add(b(">0\r\n"));
        r.add(b("*3\r\n:1\r\n$3\r\nfoo\r\n*2\r\n+a\r\n$-1\r\n"));
        r.add(b("*2\r\n*2\r\n*0\r\n*1\r\n:1\r\n*-1\r\n"));        // nested, with empty and null members
        r.add(b("_\r\n"));                                        // RESP3 null
        r.add(b(",3.14159\r\n"));
        r.add(b(",-inf\r\n"));
        r.add(b(",nan\r\n"));
        r.add(b("#t\r\n"));
        r.add(b("#f\r\n"));
        r.add(b("!21\r\nSYNTAX invalid syntax\r\n"));
        r.add(b("=15\r\ntxt:Some string\r\n"));
        r.add(b("(3492890328409238509324850943850943825024385\r\n"));
        r.add(b("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"));
        r.add(b("%2\r\n$3\r\nkey\r\n%1\r\n+in\r\n*2\r\n:1\r\n:2\r\n~1\r\n_\r\n*0\r\n"));   // map of map, set key
        r.add(b("~3\r\n+a\r\n+b\r\n,1.5\r\n"));
        r.add(b(">3\r\n+message\r\n+chan\r\n$5\r\nhello\r\n"));
        r.add(b(">4\r\n$10\r\ninvalidate\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n_\r\n#t\r\n"));
        // attribute before the reply: one frame with the reply it annotates
        r.add(b("|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n"
                + "*2\r\n:2039123\r\n:9543892\r\n"));
        r.add(b("|0\r\n+OK\r\n"));                                 // empty attribute still precedes an item
        r.add(b("|1\r\n+a\r\n+b\r\n$-1\r\n"));                      // attribute before a null
        r.add(b("|1\r\n+k\r\n*1\r\n:1\r\n*0\r\n"));                 // attribute value is an aggregate
        r.add(b("*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n:2\r\n"));       // attribute on an element inside an array
        r.add(b("*1\r\n|1\r\n+a\r\n+b\r\n|1\r\n+c\r\n+d\r\n:7\r\n")); // two stacked attributes on the last element
        r.add(b("%1\r\n|1\r\n+a\r\n+b\r\n+key\r\n|0\r\n+value\r\n"));
        r.add(bulk(bigPayload(1024 * 1024 + 7, 1)));              // a big bulk with arbitrary bytes
        r.add(concat(b("*2\r\n"), bulk(bigPayload(70_000, 2)), b("=70004\r\ntxt:"), bigPayload(70_000, 3), b("\r\n")));
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            deep.append(i % 3 == 0 ? "*1\r\n" : i % 3 == 1 ? "~1\r\n" : "%1\r\n+k\r\n");
        }
        deep.append(":42\r\n");
        r.add(b(deep.toString()));
        return r;
    }

    /** Scans a buffer holding whole replies, returning the frame lengths found. */
    private static List<Integer> scanAll(ReplyScanner scanner, ByteBuf buf) {
        List<Integer> lengths = new ArrayList<>();
        int length;
        while (buf.isReadable() && (length = scanner.scan(buf)) != ReplyScanner.INCOMPLETE) {
            lengths.add(length);
            buf.skipBytes(length);
        }
        return lengths;
    }

    @Test
    void everyReplyTypeIsOneFrame() {
        for (byte[] reply : sampleReplies()) {
            String what = preview(reply);
            ReplyScanner scanner = new ReplyScanner();
            assertEquals(reply.length, scanner.scan(Unpooled.wrappedBuffer(reply)), what);
            // with the next reply already behind it, the frame still ends in the same place
            ByteBuf withNext = Unpooled.wrappedBuffer(concat(reply, b("+NEXT\r\n")));
            assertEquals(reply.length, scanner.scan(withNext), what);
            withNext.skipBytes(reply.length);
            assertEquals(7, scanner.scan(withNext), what);
        }
    }

    @Test
    void everyProperPrefixIsIncomplete() {
        for (byte[] reply : sampleReplies()) {
            if (reply.length > 4096) {
                for (int cut : new int[] {0, 1, 5, 10, reply.length / 2, reply.length - 2, reply.length - 1}) {
                    assertEquals(ReplyScanner.INCOMPLETE, new ReplyScanner().scan(Unpooled.wrappedBuffer(reply, 0, cut)),
                            preview(reply) + " cut at " + cut);
                }
                continue;
            }
            for (int cut = 0; cut < reply.length; cut++) {
                ByteBuf prefix = Unpooled.wrappedBuffer(Arrays.copyOf(reply, cut));
                assertEquals(ReplyScanner.INCOMPLETE, new ReplyScanner().scan(prefix), preview(reply) + " cut at " + cut);
            }
        }
    }

    @Test
    void nullsAndEmptyAggregatesAreCompleteFrames() {
        ReplyScanner scanner = new ReplyScanner();
        ByteBuf buf = Unpooled.wrappedBuffer(b("$-1\r\n*-1\r\n*0\r\n%0\r\n~0\r\n_\r\n$0\r\n\r\n"));
        assertEquals(List.of(5, 5, 4, 4, 4, 3, 6), scanAll(scanner, buf));
    }

    @Test
    void attributeBelongsToTheFrameOfTheReplyAfterIt() {
        byte[] attributed = b("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n:5\r\n");
        ByteBuf buf = Unpooled.wrappedBuffer(concat(attributed, b(":6\r\n")));
        assertEquals(List.of(attributed.length, 4), scanAll(new ReplyScanner(), buf));
        // the attribute alone is not a frame yet
        byte[] attributeOnly = b("|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n");
        assertEquals(ReplyScanner.INCOMPLETE, new ReplyScanner().scan(Unpooled.wrappedBuffer(attributeOnly)));
    }

    @Test
    void everySplitPointOfAConcatenationGivesTheSameFrames() {
        List<byte[]> replies = new ArrayList<>();
        for (byte[] reply : sampleReplies()) {
            if (reply.length < 4096) {          // the big ones are covered by the random-chunk test
                replies.add(reply);
            }
        }
        byte[] all = concat(replies.toArray(new byte[0][]));
        List<Integer> expected = replies.stream().map(r -> r.length).toList();
        assertEquals(expected, scanAll(new ReplyScanner(), Unpooled.wrappedBuffer(all)));

        for (int split = 0; split <= all.length; split++) {
            ReplyScanner scanner = new ReplyScanner();
            ByteBuf buf = Unpooled.buffer(all.length);
            buf.writeBytes(all, 0, split);
            List<Integer> lengths = new ArrayList<>(scanAll(scanner, buf));
            buf.writeBytes(all, split, all.length - split);     // appended to the same buffer
            lengths.addAll(scanAll(scanner, buf));
            assertEquals(expected, lengths, "split at " + split);
            assertFalse(buf.isReadable(), "split at " + split);
        }
    }

    @Test
    void byteAtATimeAndRandomChunksGiveTheSameFrames() {
        List<byte[]> replies = sampleReplies();
        byte[] all = concat(replies.toArray(new byte[0][]));
        List<Integer> expected = replies.stream().map(r -> r.length).toList();

        // byte at a time, discarding read bytes now and then as ByteToMessageDecoder does
        ReplyScanner scanner = new ReplyScanner();
        ByteBuf buf = Unpooled.buffer();
        List<Integer> lengths = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < all.length; i++) {
            buf.writeByte(all[i]);
            lengths.addAll(scanAll(scanner, buf));
            if ((i & 0xffff) == 0) {
                buf.discardReadBytes();
            }
        }
        assertEquals(expected, lengths, "byte at a time");
        assertTrue(System.nanoTime() - started < 10_000_000_000L, "byte-at-a-time scan must not rescan from the start");

        for (long seed = 1; seed <= 50; seed++) {
            Random random = new Random(seed);
            scanner = new ReplyScanner();
            buf = Unpooled.buffer();
            lengths = new ArrayList<>();
            int at = 0;
            while (at < all.length) {
                int max = switch (random.nextInt(3)) {
                    case 0 -> 8;
                    case 1 -> 512;
                    default -> 200_000;
                };
                int n = Math.min(all.length - at, 1 + random.nextInt(max));
                buf.writeBytes(all, at, n);
                at += n;
                lengths.addAll(scanAll(scanner, buf));
                if (random.nextInt(4) == 0) {
                    buf.discardReadBytes();
                }
            }
            assertEquals(expected, lengths, "random chunks, seed " + seed);
        }
    }

    /** A random RESP2/RESP3 reply, possibly nested and attributed. */
    private static void randomReply(Random r, int depth, ByteArrayOutputStream out) {
        if (r.nextInt(12) == 0) {                              // an attribute before the item
            int pairs = r.nextInt(3);
            out.writeBytes(b("|" + pairs + "\r\n"));
            for (int i = 0; i < pairs * 2; i++) {
                randomReply(r, depth + 1, out);
            }
        }
        int type = depth > 6 ? r.nextInt(10) : r.nextInt(16);
        switch (type) {
            case 0 -> out.writeBytes(b("+" + "ok".repeat(r.nextInt(3)) + "\r\n"));
            case 1 -> out.writeBytes(b("-ERR " + r.nextInt() + "\r\n"));
            case 2 -> out.writeBytes(b(":" + r.nextLong() + "\r\n"));
            case 3 -> out.writeBytes(b("_\r\n"));
            case 4 -> out.writeBytes(b("," + r.nextDouble() + "\r\n"));
            case 5 -> out.writeBytes(b(r.nextBoolean() ? "#t\r\n" : "(123456789012345678901234567890\r\n"));
            case 6 -> out.writeBytes(r.nextInt(4) == 0 ? b("$-1\r\n") : bulk(bigPayload(r.nextInt(r.nextInt(10) == 0 ? 5000 : 30), r.nextLong())));
            case 7 -> {
                byte[] payload = bigPayload(r.nextInt(40), r.nextLong());
                out.writeBytes(concat(b("!" + payload.length + "\r\n"), payload, b("\r\n")));
            }
            case 8 -> {
                byte[] payload = concat(b("txt:"), bigPayload(r.nextInt(40), r.nextLong()));
                out.writeBytes(concat(b("=" + payload.length + "\r\n"), payload, b("\r\n")));
            }
            case 9 -> out.writeBytes(b("*-1\r\n"));
            default -> {
                char kind = "*%~>*%".charAt(type - 10);
                int n = r.nextInt(4);
                out.writeBytes(b(kind + String.valueOf(n) + "\r\n"));
                for (int i = 0; i < (kind == '%' ? 2 * n : n); i++) {
                    randomReply(r, depth + 1, out);
                }
            }
        }
    }

    @Test
    void randomNestedRepliesInRandomChunks() {
        for (long seed = 1; seed <= 200; seed++) {
            Random r = new Random(seed);
            List<byte[]> replies = new ArrayList<>();
            for (int i = 0, n = 1 + r.nextInt(20); i < n; i++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                randomReply(r, 0, out);
                replies.add(out.toByteArray());
            }
            byte[] all = concat(replies.toArray(new byte[0][]));
            List<Integer> expected = replies.stream().map(x -> x.length).toList();
            try {
                assertEquals(expected, scanAll(new ReplyScanner(), Unpooled.wrappedBuffer(all)), "whole");
                ReplyScanner scanner = new ReplyScanner();
                ByteBuf buf = Unpooled.buffer();
                List<Integer> lengths = new ArrayList<>();
                for (int at = 0; at < all.length; ) {
                    int n = Math.min(all.length - at, 1 + r.nextInt(r.nextBoolean() ? 4 : 300));
                    buf.writeBytes(all, at, n);
                    at += n;
                    lengths.addAll(scanAll(scanner, buf));
                    if (r.nextInt(8) == 0) {
                        buf.discardReadBytes();
                    }
                }
                assertEquals(expected, lengths, "chunked");
            } catch (Throwable t) {
                System.err.println("ReplyScannerTest.randomNestedRepliesInRandomChunks failed with seed " + seed);
                throw t;
            }
        }
    }

    @Test
    void resumesFromSavedStateWhenBytesAreAppended() {
        ReplyScanner scanner = new ReplyScanner();
        ByteBuf buf = Unpooled.buffer();
        buf.writeBytes(b("*2\r\n$11\r\nhel"));
        assertEquals(ReplyScanner.INCOMPLETE, scanner.scan(buf));
        buf.writeBytes(b("lo wor"));
        assertEquals(ReplyScanner.INCOMPLETE, scanner.scan(buf));
        buf.writeBytes(b("ld\r\n"));
        assertEquals(ReplyScanner.INCOMPLETE, scanner.scan(buf));
        buf.writeBytes(b(":1"));
        assertEquals(ReplyScanner.INCOMPLETE, scanner.scan(buf));
        buf.writeBytes(b("\r"));
        assertEquals(ReplyScanner.INCOMPLETE, scanner.scan(buf));
        buf.writeBytes(b("\n+OK\r"));
        assertEquals(26, scanner.scan(buf));
        assertEquals(0, buf.readerIndex(), "scan does not move the reader index");
        buf.skipBytes(26);
        assertEquals(ReplyScanner.INCOMPLETE, scanner.scan(buf));
        buf.writeBytes(b("\n"));
        assertEquals(5, scanner.scan(buf));
    }

    @Test
    void savedStateIsRelativeToTheReaderIndex() {
        // ByteToMessageDecoder may discard read bytes (moving the unread ones) between two scans
        ReplyScanner scanner = new ReplyScanner();
        ByteBuf buf = Unpooled.buffer();
        buf.writeBytes(b("+first\r\n*2\r\n$5\r\nab"));
        assertEquals(8, scanner.scan(buf));
        buf.skipBytes(8);
        assertEquals(ReplyScanner.INCOMPLETE, scanner.scan(buf));
        buf.discardReadBytes();
        buf.writeBytes(b("cde\r\n:9\r\n"));
        assertEquals(19, scanner.scan(buf));
        // and the same with a copy into a fresh buffer (expanded cumulation)
        scanner = new ReplyScanner();
        ByteBuf first = Unpooled.wrappedBuffer(b("%1\r\n+k\r\n$3\r\nv"));
        assertEquals(ReplyScanner.INCOMPLETE, scanner.scan(first));
        ByteBuf second = Unpooled.buffer();
        second.writeBytes(b("xxxx"));
        second.skipBytes(4);
        second.writeBytes(first);
        second.writeBytes(b("al\r\n"));
        assertEquals(17, scanner.scan(second));
    }

    @Test
    void garbageTypeByteThrows() {
        for (String garbage : new String[] {"x\r\n", "OK\r\n", "\r\n", "@foo\r\n", "*2\r\n:1\r\n?x\r\n", "%1\r\n+k\r\nvalue\r\n",
                "|1\r\n+a\r\n+b\r\nreply\r\n"}) {
            ByteBuf buf = Unpooled.wrappedBuffer(b(garbage));
            assertThrows(IllegalStateException.class, () -> new ReplyScanner().scan(buf), garbage);
        }
        // garbage after a valid reply: the valid one is framed, then the garbage throws
        ReplyScanner scanner = new ReplyScanner();
        ByteBuf buf = Unpooled.wrappedBuffer(b("+OK\r\n\u0000\u0001\r\n"));
        assertEquals(5, scanner.scan(buf));
        buf.skipBytes(5);
        assertThrows(IllegalStateException.class, () -> scanner.scan(buf));
    }

    @Test
    void badLengthsThrow() {
        for (String bad : new String[] {"$abc\r\n", "$\r\n", "*1x\r\n", "%\r\n", "$1234567890123456789\r\n"}) {
            ByteBuf buf = Unpooled.wrappedBuffer(b(bad));
            assertThrows(IllegalStateException.class, () -> new ReplyScanner().scan(buf), bad);
        }
    }

    @Test
    void overlongLineThrows() {
        byte[] line = new byte[70 * 1024];
        Arrays.fill(line, (byte) 'a');
        line[0] = '+';
        assertThrows(IllegalStateException.class, () -> new ReplyScanner().scan(Unpooled.wrappedBuffer(line)));
    }

    @Test
    void resetForgetsAPartialReply() {
        ReplyScanner scanner = new ReplyScanner();
        assertEquals(ReplyScanner.INCOMPLETE, scanner.scan(Unpooled.wrappedBuffer(b("*3\r\n:1\r\n$100\r\nabc"))));
        scanner.reset();
        assertEquals(5, scanner.scan(Unpooled.wrappedBuffer(b("+OK\r\n"))));
    }

    /** A reply nested {@code depth} deep ({@code *1} ... then {@code :7}), as a Lua script's nested table comes back. */
    private static byte[] nested(char type, int depth) {
        StringBuilder sb = new StringBuilder(depth * 5 + 8);
        for (int i = 0; i < depth; i++) {
            sb.append(type).append(type == '%' ? "1\r\n+k\r\n" : "1\r\n");
        }
        return b(sb.append(":7\r\n").toString());
    }

    @Test
    void repliesNestedFarDeeperThanAnyFixedBoundAreOneFrame() {
        for (char type : new char[] {'*', '%', '~'}) {
            byte[] reply = nested(type, 200_000);
            byte[] twice = concat(reply, b("+OK\r\n"));
            ReplyScanner scanner = new ReplyScanner();
            ByteBuf buf = Unpooled.wrappedBuffer(twice);
            assertEquals(reply.length, scanner.scan(buf), "type " + type);
            buf.skipBytes(reply.length);
            assertEquals(5, scanner.scan(buf), "the scanner starts over after a deep reply");
        }
    }

    @Test
    void aDeepReplyArrivingInSmallChunksIsFramedOnceWhole() {
        byte[] reply = nested('*', 20_000);
        ReplyScanner scanner = new ReplyScanner();
        ByteBuf buf = Unpooled.buffer();
        Random random = new Random(16);
        int at = 0;
        int framed = ReplyScanner.INCOMPLETE;
        while (at < reply.length) {
            int n = Math.min(reply.length - at, 1 + random.nextInt(700));
            buf.writeBytes(reply, at, n);
            at += n;
            framed = scanner.scan(buf);
            if (at < reply.length) {
                assertEquals(ReplyScanner.INCOMPLETE, framed, "complete before its last byte, at " + at);
            }
        }
        assertEquals(reply.length, framed);
    }

    @Test
    void classifiesPushesAndErrors() {
        ByteBuf buf = Unpooled.wrappedBuffer(b("xx>1\r\n+a\r\n-ERR\r\n!3\r\nbad\r\n+OK\r\n"));
        assertTrue(ReplyScanner.isPush(buf, 2));
        assertFalse(ReplyScanner.isPush(buf, 10));
        assertTrue(ReplyScanner.isError(buf, 10));
        assertTrue(ReplyScanner.isError(buf, 16));
        assertFalse(ReplyScanner.isError(buf, 25));
        assertFalse(ReplyScanner.isError(buf, 2));
    }

    private static String preview(byte[] reply) {
        String s = new String(reply, 0, Math.min(reply.length, 60), StandardCharsets.ISO_8859_1)
                .replace("\r", "\\r").replace("\n", "\\n");
        return "reply " + s + (reply.length > 60 ? "... (" + reply.length + " bytes)" : "");
    }
}
