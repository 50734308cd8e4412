package io.keymesh.proxy.resp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * RespFrameDecoder over an EmbeddedChannel (no sockets): framing, every split point, limits and
 * Redis' error texts, reference counting, and a mutation fuzz checked by an independent parser.
 *
 * <p>The leak detector runs at PARANOID for the whole class; tests that feed hundreds of thousands
 * of chunks run the channel on {@link TrackingAllocator} (not leak-wrapped, so PARANOID's per-access
 * stack traces do not dominate) and instead check deterministically that every buffer it handed out
 * and every buffer the test wrote has been released.
 */
class RespFrameDecoderTest {
    static {
        // record only retain/release under PARANOID, not every getByte (effective if Netty is not loaded yet)
        System.setProperty("io.netty.leakDetection.acquireAndReleaseOnly", "true");
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    private static final RespLimits LIMITS = RespLimits.REDIS_DEFAULTS;
    private static final ListAppender<ILoggingEvent> LEAKS = new ListAppender<>();

    @BeforeAll
    static void watchLeakReports() {
        Logger logger = (Logger) LoggerFactory.getLogger("io.netty.util.ResourceLeakDetector");
        LEAKS.start();
        logger.addAppender(LEAKS);
    }

    @AfterAll
    static void noLeakReported() throws InterruptedException {
        // give the detector a chance to see collected, unreleased buffers: it reports on the next track()
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(50);
            for (int k = 0; k < 100; k++) {
                PooledByteBufAllocator.DEFAULT.buffer(16).release();
                PooledByteBufAllocator.DEFAULT.directBuffer(16).release();
            }
        }
        ((Logger) LoggerFactory.getLogger("io.netty.util.ResourceLeakDetector")).detachAppender(LEAKS);
        List<String> leaks = LEAKS.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("LEAK")).toList();
        assertTrue(leaks.isEmpty(), "leak detector reported: " + leaks);
    }

    // ------------------------------------------------------------------------------------------
    // harness

    /** An allocator that remembers every buffer it hands out, so a test can check all were released. */
    static final class TrackingAllocator implements ByteBufAllocator {
        private final ByteBufAllocator delegate = new UnpooledByteBufAllocator(false, true);
        final List<ByteBuf> allocated = new ArrayList<>();

        private <T extends ByteBuf> T track(T buf) {
            allocated.add(buf);
            return buf;
        }

        void assertAllReleased(String context) {
            for (ByteBuf buf : allocated) {
                assertEquals(0, buf.refCnt(), context + ": a buffer allocated by the channel was not released");
            }
        }

        @Override public ByteBuf buffer() { return track(delegate.buffer()); }
        @Override public ByteBuf buffer(int i) { return track(delegate.buffer(i)); }
        @Override public ByteBuf buffer(int i, int m) { return track(delegate.buffer(i, m)); }
        @Override public ByteBuf ioBuffer() { return track(delegate.ioBuffer()); }
        @Override public ByteBuf ioBuffer(int i) { return track(delegate.ioBuffer(i)); }
        @Override public ByteBuf ioBuffer(int i, int m) { return track(delegate.ioBuffer(i, m)); }
        @Override public ByteBuf heapBuffer() { return track(delegate.heapBuffer()); }
        @Override public ByteBuf heapBuffer(int i) { return track(delegate.heapBuffer(i)); }
        @Override public ByteBuf heapBuffer(int i, int m) { return track(delegate.heapBuffer(i, m)); }
        @Override public ByteBuf directBuffer() { return track(delegate.directBuffer()); }
        @Override public ByteBuf directBuffer(int i) { return track(delegate.directBuffer(i)); }
        @Override public ByteBuf directBuffer(int i, int m) { return track(delegate.directBuffer(i, m)); }
        @Override public CompositeByteBuf compositeBuffer() { return track(delegate.compositeBuffer()); }
        @Override public CompositeByteBuf compositeBuffer(int n) { return track(delegate.compositeBuffer(n)); }
        @Override public CompositeByteBuf compositeHeapBuffer() { return track(delegate.compositeHeapBuffer()); }
        @Override public CompositeByteBuf compositeHeapBuffer(int n) { return track(delegate.compositeHeapBuffer(n)); }
        @Override public CompositeByteBuf compositeDirectBuffer() { return track(delegate.compositeDirectBuffer()); }
        @Override public CompositeByteBuf compositeDirectBuffer(int n) { return track(delegate.compositeDirectBuffer(n)); }
        @Override public boolean isDirectBufferPooled() { return delegate.isDirectBufferPooled(); }
        @Override public int calculateNewCapacity(int min, int max) { return delegate.calculateNewCapacity(min, max); }
    }

    /** One decoder in an EmbeddedChannel, plus every buffer written to it. */
    static final class Harness {
        final RespFrameDecoder decoder;
        final EmbeddedChannel channel;
        final TrackingAllocator tracking;
        final List<ByteBuf> written = new ArrayList<>();

        Harness(RespLimits limits, boolean authenticated, boolean tracked) {
            decoder = new RespFrameDecoder(limits, authenticated);
            channel = new EmbeddedChannel(decoder);
            tracking = tracked ? new TrackingAllocator() : null;
            channel.config().setAllocator(tracked ? tracking : PooledByteBufAllocator.DEFAULT);
        }

        static Harness tracked() {
            return new Harness(LIMITS, true, true);
        }

        void write(ByteBuf buf) {
            written.add(buf);
            channel.writeInbound(buf);     // rethrows anything the pipeline threw
        }

        void write(byte[] data) {
            write(Unpooled.wrappedBuffer(data));
        }

        /** Writes data[from, to) as one chunk (a heap slice of the test's array). */
        void write(byte[] data, int from, int to) {
            if (to > from) {
                write(Unpooled.wrappedBuffer(data, from, to - from));
            }
        }

        /** Everything emitted so far (RespRequest or RespProtocolError); the caller releases requests. */
        List<Object> drain() {
            List<Object> out = new ArrayList<>();
            Object o;
            while ((o = channel.readInbound()) != null) {
                out.add(o);
            }
            return out;
        }

        /** Closes the channel and checks no buffer written or allocated is still referenced. */
        void finish(String context) {
            channel.finishAndReleaseAll();
            for (ByteBuf buf : written) {
                assertEquals(0, buf.refCnt(), context + ": a buffer written to the channel was not released");
            }
            if (tracking != null) {
                tracking.assertAllReleased(context);
            }
        }
    }

    /** What the decoder emitted, copied out of the buffers. */
    sealed interface Out permits Req, Err {
    }

    record Req(List<byte[]> args, byte[] frame) implements Out {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("Req[");
            for (byte[] a : args) {
                sb.append(preview(a)).append(' ');
            }
            return sb.append("| frame ").append(preview(frame)).append(']').toString();
        }
    }

    record Err(String message) implements Out {
    }

    static Out copyOut(Object o) {
        if (o instanceof RespProtocolError e) {
            return new Err(e.message());
        }
        RespRequest r = assertInstanceOf(RespRequest.class, o);
        List<byte[]> args = new ArrayList<>();
        for (int i = 0; i < r.argc(); i++) {
            args.add(r.argBytes(i));
        }
        return new Req(args, ByteBufUtil.getBytes(r.buffer(), r.frameIndex(), r.frameLength()));
    }

    /** Copies and releases everything emitted. */
    static List<Out> drainOut(Harness h) {
        List<Out> out = new ArrayList<>();
        for (Object o : h.drain()) {
            out.add(copyOut(o));
            release(o);
        }
        return out;
    }

    static void release(Object o) {
        if (o instanceof RespRequest r) {
            assertTrue(r.release());
        }
    }

    static void assertOutEquals(List<Out> expected, List<Out> actual, String context) {
        if (expected.size() != actual.size() || !sameOutputs(expected, actual)) {
            fail(context + ":\n expected " + expected + "\n but got  " + actual);
        }
    }

    static boolean sameOutputs(List<Out> a, List<Out> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!same(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    static boolean same(Out a, Out b) {
        if (a instanceof Err ea) {
            return b instanceof Err eb && ea.message().equals(eb.message());
        }
        if (!(b instanceof Req rb)) {
            return false;
        }
        Req ra = (Req) a;
        if (ra.args().size() != rb.args().size() || !Arrays.equals(ra.frame(), rb.frame())) {
            return false;
        }
        for (int i = 0; i < ra.args().size(); i++) {
            if (!Arrays.equals(ra.args().get(i), rb.args().get(i))) {
                return false;
            }
        }
        return true;
    }

    /** Compares emitted objects with expectations in place (no copies: used in the hot loops). */
    static boolean matches(Out expected, Object actual) {
        if (expected instanceof Err e) {
            return actual instanceof RespProtocolError pe && pe.message().equals(e.message());
        }
        if (!(actual instanceof RespRequest r)) {
            return false;
        }
        Req req = (Req) expected;
        if (r.argc() != req.args().size() || r.frameLength() != req.frame().length
                || !regionEquals(req.frame(), r.buffer(), r.frameIndex())) {
            return false;
        }
        for (int i = 0; i < r.argc(); i++) {
            byte[] arg = req.args().get(i);
            if (r.argLength(i) != arg.length || !regionEquals(arg, r.buffer(), r.argIndex(i))) {
                return false;
            }
        }
        return true;
    }

    /** True when {@code buf} holds {@code expected} at {@code index} (a fast path for heap buffers). */
    static boolean regionEquals(byte[] expected, ByteBuf buf, int index) {
        if (buf.hasArray()) {
            int from = buf.arrayOffset() + index;
            return Arrays.equals(buf.array(), from, from + expected.length, expected, 0, expected.length);
        }
        return ByteBufUtil.equals(Unpooled.wrappedBuffer(expected), 0, buf, index, expected.length);
    }

    /** Checks and releases what the harness emitted. */
    static void assertEmitted(List<Out> expected, Harness h, String context) {
        List<Object> actual = h.drain();
        boolean ok = actual.size() == expected.size();
        for (int i = 0; ok && i < actual.size(); i++) {
            ok = matches(expected.get(i), actual.get(i));
        }
        if (!ok) {
            List<Out> copied = actual.stream().map(RespFrameDecoderTest::copyOut).toList();
            actual.forEach(RespFrameDecoderTest::release);
            fail(context + ":\n expected " + expected + "\n but got  " + copied);
        }
        actual.forEach(RespFrameDecoderTest::release);
    }

    // ------------------------------------------------------------------------------------------
    // building requests

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** A multibulk request of these arguments. */
    static byte[] mb(byte[]... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(b("*" + args.length + "\r\n"));
        for (byte[] a : args) {
            out.writeBytes(b("$" + a.length + "\r\n"));
            out.writeBytes(a);
            out.writeBytes(b("\r\n"));
        }
        return out.toByteArray();
    }

    static byte[] mb(String... args) {
        return mb(Arrays.stream(args).map(RespFrameDecoderTest::b).toArray(byte[][]::new));
    }

    /** The request the decoder should emit for these arguments (the frame is their multibulk). */
    static Req req(byte[]... args) {
        return new Req(List.of(args), mb(args));
    }

    static Req req(String... args) {
        return req(Arrays.stream(args).map(RespFrameDecoderTest::b).toArray(byte[][]::new));
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        return data;
    }

    static String preview(byte[] data) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(data.length, 48); i++) {
            int c = data[i] & 0xff;
            if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c >= 32 && c < 127) {
                sb.append((char) c);
            } else {
                sb.append(String.format("\\x%02x", c));
            }
        }
        if (data.length > 48) {
            sb.append("...(").append(data.length).append(" bytes)");
        }
        return '"' + sb.toString() + '"';
    }

    static List<Out> decodeWhole(byte[] data, RespLimits limits, boolean authenticated) {
        Harness h = new Harness(limits, authenticated, true);
        h.write(data);
        List<Out> out = drainOut(h);
        h.finish("decode whole");
        return out;
    }

    // ------------------------------------------------------------------------------------------
    // the mixed pipeline used by the split tests

    static final byte[] BINARY = {0, '\r', '\n', (byte) 0xff, '*', '$', '\r', '\n', '\n', '3', '\r'};
    static final byte[] BIG = randomBytes(100 * 1024, 42);

    /** Pieces of a valid pipeline and what each decodes to (null: skipped, nothing emitted). */
    static List<Object[]> mixedPipelinePieces() {
        List<Object[]> p = new ArrayList<>();
        p.add(new Object[] {mb("SET", "empty", ""), req("SET", "empty", "")});
        p.add(new Object[] {mb("GET", "k"), req("GET", "k")});
        p.add(new Object[] {mb(b("SET"), b("bin"), BINARY), req(b("SET"), b("bin"), BINARY)});
        p.add(new Object[] {b("PING\r\n"), req("PING")});
        p.add(new Object[] {b("SET k \"a b\\x41\"\r\n"), req("SET", "k", "a bA")});
        p.add(new Object[] {b("SET k2 'it\\'s'\r\n"), req("SET", "k2", "it's")});
        p.add(new Object[] {b("*0\r\n"), null});
        p.add(new Object[] {mb(b("SET"), b("big"), BIG), req(b("SET"), b("big"), BIG)});
        p.add(new Object[] {b("*-1\r\n"), null});
        p.add(new Object[] {b("\r\n"), null});
        p.add(new Object[] {b("ECHO \"x\\r\\ny\" \t 'z'\n"), req("ECHO", "x\r\ny", "z")});
        p.add(new Object[] {b("   \r\n"), null});
        p.add(new Object[] {mb(""), req("")});
        p.add(new Object[] {mb("MSET", "a", "1", "b", "2", "c", "3"), req("MSET", "a", "1", "b", "2", "c", "3")});
        p.add(new Object[] {b("GET \"\"\r\n"), req("GET", "")});
        p.add(new Object[] {mb("PING"), req("PING")});
        return p;
    }

    static byte[] mixedPipeline() {
        return concat(mixedPipelinePieces().stream().map(x -> (byte[]) x[0]).toArray(byte[][]::new));
    }

    static List<Out> mixedPipelineExpected() {
        return mixedPipelinePieces().stream().filter(x -> x[1] != null).map(x -> (Out) x[1]).toList();
    }

    // ------------------------------------------------------------------------------------------
    // framing

    @Test
    void singleMultibulkRequest() {
        byte[] request = mb("SET", "key", "value");
        Harness h = Harness.tracked();
        h.write(request);
        List<Object> out = h.drain();
        assertEquals(1, out.size());
        RespRequest r = assertInstanceOf(RespRequest.class, out.get(0));
        assertEquals(3, r.argc());
        assertEquals("SET", r.argString(0));
        assertEquals("key", r.argString(1));
        assertEquals("value", r.argString(2));
        assertEquals(3, r.argLength(0));
        assertEquals(5, r.argLength(2));
        assertTrue(r.argEquals(0, "set"));
        assertEquals(request.length, r.frameLength());
        assertArrayEquals(request, ByteBufUtil.getBytes(r.frame()));
        assertArrayEquals(b("value"), r.argBytes(2));
        r.release();
        h.finish("single");
    }

    @Test
    void pipelinedMultibulkRequestsKeepTheirExactBytes() {
        byte[] one = mb("SET", "a", "1");
        byte[] two = mb(b("SET"), b("b"), BINARY);
        byte[] three = mb("INCRBY", "counter", "-42");
        Harness h = Harness.tracked();
        h.write(concat(one, two, three));
        List<Object> out = h.drain();
        assertEquals(3, out.size());
        byte[][] frames = {one, two, three};
        for (int i = 0; i < 3; i++) {
            RespRequest r = (RespRequest) out.get(i);
            assertArrayEquals(frames[i], ByteBufUtil.getBytes(r.frame()), "frame " + i);
        }
        assertArrayEquals(BINARY, ((RespRequest) out.get(1)).argBytes(2));
        assertEquals(-42, ((RespRequest) out.get(2)).argLong(2));
        assertEquals("counter", ((RespRequest) out.get(2)).argString(1));
        out.forEach(RespFrameDecoderTest::release);
        h.finish("pipelined");
    }

    @Test
    void inlineRequestsAreSplitWithRedisQuotingAndReencoded() {
        byte[] input = b("PING\r\n" + "SET k \"a b\\x41\"\r\n" + "SET k2 'it\\'s'\r\n" + "  GET \t k  \n"
                + "ECHO \"tab\\there\\n\\\"q\\\"\" '\"'\r\n" + "SET x \"\\xff\\x00\"\r\n");
        List<Out> out = decodeWhole(input, LIMITS, true);
        assertOutEquals(List.of(req("PING"), req("SET", "k", "a bA"), req("SET", "k2", "it's"), req("GET", "k"),
                req("ECHO", "tab\there\n\"q\"", "\""), req(b("SET"), b("x"), new byte[] {(byte) 0xff, 0})), out, "inline");
    }

    @Test
    void emptyAndNullMultibulksAndEmptyLinesAreSkipped() {
        assertEquals(List.of(), decodeWhole(b("*0\r\n*-1\r\n\r\n\n   \r\n\t\r\n"), LIMITS, true));
        assertOutEquals(List.of(req("PING"), req("PING")), decodeWhole(b("*0\r\n*-1\r\n\r\nPING\r\n\n*1\r\n$4\r\nPING\r\n"), LIMITS, true),
                "skipped then requests");
        // skipped only once their line is complete
        Harness h = Harness.tracked();
        h.write(b("*-1\r"));
        assertEquals(List.of(), drainOut(h));
        h.write(b("\n*1\r\n$4\r\nPING\r\n"));
        assertOutEquals(List.of(req("PING")), drainOut(h), "after *-1");
        h.finish("skipped");
    }

    @Test
    void manyArgumentsAndTheRequestsAfterThem() {
        String[] many = new String[5000];
        for (int i = 0; i < many.length; i++) {
            many[i] = "a" + i;
        }
        byte[] input = concat(mb(many), mb("GET", "k"), mb(many), b("PING\r\n"));
        List<Out> expected = List.of(req(many), req("GET", "k"), req(many), req("PING"));
        assertOutEquals(expected, decodeWhole(input, LIMITS, true), "whole");
        Random random = new Random(5);
        Harness h = Harness.tracked();
        for (int at = 0; at < input.length; ) {
            int n = Math.min(input.length - at, 1 + random.nextInt(100));
            h.write(input, at, at + n);
            at += n;
        }
        assertEmitted(expected, h, "many arguments in random chunks");
        h.finish("many arguments");
    }

    @Test
    void hugeDeclaredArgumentCountWithinConfiguredLimitsDoesNotBreakTheDecoder() {
        // limits accept any argumentCountMax >= 1; the declared count must not be trusted for sizing
        RespLimits wide = new RespLimits(LIMITS.bulkLengthMax(), Integer.MAX_VALUE, LIMITS.inlineLengthMax(), 10, 16 * 1024);
        Harness h = new Harness(wide, true, true);
        h.write(b("*1500000000\r\n"));
        for (int i = 0; i < 3000; i++) {
            h.write(b("$3\r\nabc\r\n"));       // never throws
        }
        assertEquals(List.of(), drainOut(h), "the request is still incomplete");
        h.finish("huge declared count");
    }

    @Test
    void mixedPipelineDecodesAsExpectedWhole() {
        assertOutEquals(mixedPipelineExpected(), decodeWhole(mixedPipeline(), LIMITS, true), "mixed pipeline");
    }

    @Test
    void everySplitPointIntoTwoChunksDecodesTheSame() {
        byte[] pipeline = mixedPipeline();
        List<Out> expected = decodeWhole(pipeline, LIMITS, true);
        assertOutEquals(mixedPipelineExpected(), expected, "whole");
        for (int split = 0; split <= pipeline.length; split++) {
            String context = "split at " + split + " of " + pipeline.length;
            Harness h = Harness.tracked();
            h.write(pipeline, 0, split);
            h.write(pipeline, split, pipeline.length);
            assertEmitted(expected, h, context);
            h.finish(context);
        }
    }

    @Test
    void randomChunkSizesDecodeTheSame() {
        byte[] pipeline = mixedPipeline();
        List<Out> expected = decodeWhole(pipeline, LIMITS, true);
        for (long seed = 1; seed <= 300; seed++) {
            Random random = new Random(seed);
            String context = "random chunks, seed " + seed;
            boolean pooled = seed % 10 == 0;       // a few runs on the pooled, leak-tracked allocator
            Harness h = new Harness(LIMITS, true, !pooled);
            try {
                int at = 0;
                while (at < pipeline.length) {
                    int max = switch (random.nextInt(4)) {
                        case 0 -> 3;
                        case 1 -> 64;
                        case 2 -> 4096;
                        default -> pipeline.length;
                    };
                    int n = Math.min(pipeline.length - at, 1 + random.nextInt(max));
                    if (pooled) {
                        ByteBuf chunk = random.nextBoolean() ? PooledByteBufAllocator.DEFAULT.directBuffer(n)
                                : PooledByteBufAllocator.DEFAULT.heapBuffer(n);
                        h.write(chunk.writeBytes(pipeline, at, n));
                    } else {
                        h.write(pipeline, at, at + n);
                    }
                    at += n;
                }
                assertEmitted(expected, h, context);
                h.finish(context);
            } catch (Throwable t) {
                System.err.println("RespFrameDecoderTest.randomChunkSizesDecodeTheSame failed with seed " + seed);
                throw t;
            }
        }
    }

    @Test
    void oneMegabyteBulkFedByteAtATimeIsDecodedOnce() {
        byte[] value = randomBytes(1024 * 1024, 7);
        byte[] request = mb(b("SET"), b("k"), value);
        byte[] input = concat(request, mb("GET", "k"));
        Harness h = Harness.tracked();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (int i = 0; i < input.length; i++) {
                h.write(input, i, i + 1);
                if (i < request.length - 1) {
                    assertEquals(null, h.channel.inboundMessages().peek(), "emitted early at byte " + i);
                }
            }
        }, "a byte-at-a-time feed must not rescan the frame from its start");
        assertEmitted(List.of(req(b("SET"), b("k"), value), req("GET", "k")), h, "1 MB byte at a time");
        h.finish("1 MB byte at a time");
    }

    // ------------------------------------------------------------------------------------------
    // protocol errors

    /** Decodes input (whole, and split at every byte for short inputs) and expects requests then one error. */
    static void assertError(String message, byte[] input, RespLimits limits, boolean authenticated, Out... before) {
        List<Out> expected = new ArrayList<>(List.of(before));
        expected.add(new Err(message));
        // valid requests after the error must never come out
        byte[] withMore = concat(input, mb("PING"), b("PING\r\n"));
        assertOutEquals(expected, decodeWhole(withMore, limits, authenticated), "whole " + preview(input));
        if (withMore.length < 2000) {
            for (int split = 0; split <= withMore.length; split++) {
                Harness h = new Harness(limits, authenticated, true);
                h.write(withMore, 0, split);
                h.write(withMore, split, withMore.length);
                h.write(mb("GET", "more"));
                assertEmitted(expected, h, "split at " + split + " of " + preview(input));
                h.finish("split at " + split);
            }
        }
    }

    static void assertError(String message, String input, Out... before) {
        assertError(message, b(input), LIMITS, true, before);
    }

    @Test
    void invalidMultibulkLength() {
        assertError("ERR Protocol error: invalid multibulk length", "*abc\r\n");
        assertError("ERR Protocol error: invalid multibulk length", "*1\r\n$4\r\nPING\r\n*3x\r\n", req("PING"));
        assertError("ERR Protocol error: invalid multibulk length", "*\r\n");
        assertError("ERR Protocol error: invalid multibulk length", "*3000000000\r\n");
        assertError("ERR Protocol error: invalid multibulk length", "*12345678901234567890\r\n");
        assertError("ERR Protocol error: invalid multibulk length", "*+1\r\n$4\r\nPING\r\n");
    }

    @Test
    void countsMustBeCanonicalIntegersAsRedisParsesThem() {
        // Redis (string2ll) rejects leading zeros and "-0"; the frame would be forwarded as is and
        // break the backend connection, so the proxy must reject it the same way
        assertError("ERR Protocol error: invalid multibulk length", "*01\r\n$4\r\nPING\r\n");
        assertError("ERR Protocol error: invalid multibulk length", "*-0\r\n");
        assertError("ERR Protocol error: invalid bulk length", "*1\r\n$04\r\nPING\r\n");
        assertError("ERR Protocol error: invalid bulk length", "*1\r\n$00\r\n\r\n");
        assertError("ERR Protocol error: invalid bulk length", "*1\r\n$-0\r\n\r\n");
        assertOutEquals(List.of(req("")), decodeWhole(b("*1\r\n$0\r\n\r\n"), LIMITS, true), "$0 is fine");
        assertOutEquals(List.of(req("0123456789")), decodeWhole(b("*1\r\n$10\r\n0123456789\r\n"), LIMITS, true), "$10");
    }

    @Test
    void expectedDollar() {
        assertError("ERR Protocol error: expected '$', got ':'", "*1\r\n:1\r\n");
        assertError("ERR Protocol error: expected '$', got '*'", "*2\r\n$3\r\nGET\r\n*1\r\n");
    }

    @Test
    void invalidBulkLength() {
        assertError("ERR Protocol error: invalid bulk length", "*1\r\n$-5\r\n");
        assertError("ERR Protocol error: invalid bulk length", "*1\r\n$-1\r\n");
        assertError("ERR Protocol error: invalid bulk length", "*1\r\n$abc\r\n");
        assertError("ERR Protocol error: invalid bulk length", "*1\r\n$\r\n");
        assertError("ERR Protocol error: invalid bulk length", "*1\r\n$5\n");
    }

    @Test
    void bulkOverTheLimit() {
        RespLimits small = LIMITS.withBulkLengthMax(100);
        assertOutEquals(List.of(req("SET", "k", "x".repeat(100))), decodeWhole(mb("SET", "k", "x".repeat(100)), small, true), "at limit");
        assertError("ERR Protocol error: invalid bulk length", b("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$101\r\n"), small, true);
        assertError("ERR Protocol error: invalid bulk length", b("*1\r\n$536870913\r\n"), LIMITS, true);
    }

    @Test
    void argumentCountOverTheLimit() {
        RespLimits four = new RespLimits(LIMITS.bulkLengthMax(), 4, LIMITS.inlineLengthMax(), 10, 16 * 1024);
        assertOutEquals(List.of(req("A", "B", "C", "D")), decodeWhole(mb("A", "B", "C", "D"), four, true), "at limit");
        assertError("ERR Protocol error: invalid multibulk length", mb("A", "B", "C", "D", "E"), four, true);
    }

    @Test
    void unauthenticatedLimitsUntilAuthenticated() {
        String[] ten = {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J"};
        String[] eleven = {"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"};
        String bulk16k = "v".repeat(16 * 1024);
        assertOutEquals(List.of(req(ten), req("SET", "k", bulk16k)), decodeWhole(concat(mb(ten), mb("SET", "k", bulk16k)), LIMITS, false),
                "at the unauthenticated limits");
        assertError("ERR Protocol error: unauthenticated multibulk length", mb(eleven), LIMITS, false);
        assertError("ERR Protocol error: unauthenticated bulk length", b("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$16385\r\n"), LIMITS, false);
        // inline requests are bound by the inline limit only
        assertOutEquals(List.of(req(eleven)), decodeWhole(b(String.join(" ", eleven) + "\r\n"), LIMITS, false), "inline");

        Harness h = new Harness(LIMITS, false, true);
        h.write(mb("AUTH", "secret"));
        assertOutEquals(List.of(req("AUTH", "secret")), drainOut(h), "auth");
        h.decoder.authenticated(true);
        h.write(mb(eleven));
        h.write(mb("SET", "k", "w".repeat(100_000)));
        assertOutEquals(List.of(req(eleven), req("SET", "k", "w".repeat(100_000))), drainOut(h), "after authenticated(true)");
        h.decoder.authenticated(false);
        h.write(mb(eleven));
        assertOutEquals(List.of(new Err("ERR Protocol error: unauthenticated multibulk length")), drainOut(h), "after authenticated(false)");
        h.finish("auth");
    }

    @Test
    void bulkNotFollowedByCrlfIsAnError() {
        for (String bad : new String[] {"*1\r\n$3\r\nGETX\r\n", "*1\r\n$3\r\nGET\rX", "*1\r\n$3\r\nGET\n\r", "*2\r\n$3\r\nGET\r\n$1\r\nkk"}) {
            List<Out> out = decodeWhole(concat(b(bad), mb("PING")), LIMITS, true);
            assertEquals(1, out.size(), bad + " -> " + out);
            Err err = assertInstanceOf(Err.class, out.get(0), bad);
            assertTrue(err.message().startsWith("ERR Protocol error: "), err.message());
        }
    }

    @Test
    void unbalancedQuotes() {
        for (String bad : new String[] {"SET k \"abc\r\n", "SET k 'abc\r\n", "SET k \"abc\"def\r\n", "SET k 'a'b\r\n", "\"\r\n",
                "SET k \"a\\\"\r\n"}) {
            assertError("ERR Protocol error: unbalanced quotes in request", bad);
        }
        assertError("ERR Protocol error: unbalanced quotes in request", "PING\r\nGET \"k\n", req("PING"));
    }

    @Test
    void tooBigLinesWithoutNewline() {
        byte[] inline = new byte[70 * 1024];
        Arrays.fill(inline, (byte) 'a');
        byte[] count = inline.clone();
        Arrays.fill(count, (byte) '1');
        count[0] = '*';
        byte[] digits = new byte[70 * 1024];
        Arrays.fill(digits, (byte) '1');
        byte[] bulkCount = concat(b("*1\r\n$"), digits);
        String[][] cases = {
                {"ERR Protocol error: too big inline request", "inline"},
                {"ERR Protocol error: too big mbulk count string", "count"},
                {"ERR Protocol error: too big bulk count string", "bulk"}};
        byte[][] inputs = {inline, count, bulkCount};
        for (int c = 0; c < inputs.length; c++) {
            byte[] input = inputs[c];
            // whole, and in 1 KB reads: the error comes as soon as the limit is passed, once
            for (int chunk : new int[] {input.length, 1024}) {
                Harness h = Harness.tracked();
                for (int at = 0; at < input.length; at += chunk) {
                    h.write(input, at, Math.min(input.length, at + chunk));
                }
                h.write(b("\r\nPING\r\n"));
                assertOutEquals(List.of(new Err(cases[c][0])), drainOut(h), cases[c][1] + " in chunks of " + chunk);
                h.finish(cases[c][1]);
            }
        }
        // an inline line over the limit with its newline
        byte[] longLine = concat(inline, b("\r\n"));
        assertOutEquals(List.of(new Err("ERR Protocol error: too big inline request")), decodeWhole(longLine, LIMITS, true), "long line");
    }

    @Test
    void nothingIsEmittedAfterAnError() {
        Harness h = Harness.tracked();
        h.write(concat(mb("PING"), b("*x\r\n"), mb("GET", "a"), b("PING\r\n")));
        assertOutEquals(List.of(req("PING"), new Err("ERR Protocol error: invalid multibulk length")), drainOut(h), "first batch");
        for (int i = 0; i < 5; i++) {
            h.write(concat(mb("GET", "b"), b("PING\r\n"), b("*0\r\n")));
            h.write(b("*1\r\n$4\r\nPI"));
            h.write(b("NG\r\n"));
        }
        assertEquals(List.of(), drainOut(h));
        for (ByteBuf buf : h.written) {
            assertEquals(0, buf.refCnt(), "input after the error is dropped at once");
        }
        h.finish("after error");
    }

    // ------------------------------------------------------------------------------------------
    // reference counting

    @Test
    void emittedRequestsHoldTheInputUntilReleased() {
        for (boolean direct : new boolean[] {false, true}) {
            PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
            Harness h = new Harness(LIMITS, true, false);
            byte[] data = concat(mb("SET", "a", "1"), mb(b("SET"), b("b"), BINARY), b("PING\r\n"), mb("GET", "partial"));
            int cut = data.length - 5;
            ByteBuf first = direct ? alloc.directBuffer(16) : alloc.heapBuffer(16);
            first.writeBytes(data, 0, cut);
            h.write(first);
            List<Object> held = h.drain();
            assertEquals(3, held.size());
            assertTrue(first.refCnt() > 0, "requests keep the receive buffer");
            // more reads: the cumulation is appended to (or copied) while the requests hold it
            for (int i = 0; i < 50; i++) {
                ByteBuf more = direct ? alloc.directBuffer(64) : alloc.heapBuffer(64);
                more.writeBytes(i == 0 ? Arrays.copyOfRange(data, cut, data.length) : mb("SET", "k" + i, "v".repeat(i * 37)));
                h.write(more);
            }
            List<Object> later = h.drain();
            assertEquals(50, later.size());
            // the held requests still see their own bytes
            assertOutEquals(List.of(req("SET", "a", "1"), req(b("SET"), b("b"), BINARY), req("PING")),
                    held.stream().map(RespFrameDecoderTest::copyOut).toList(), "held requests after more reads");
            assertTrue(matches(req("GET", "partial"), later.get(0)));
            for (int i = 1; i < 50; i++) {
                assertTrue(matches(req("SET", "k" + i, "v".repeat(i * 37)), later.get(i)), "later " + i);
            }
            List<ByteBuf> requestBuffers = new ArrayList<>();
            for (Object o : held) {
                requestBuffers.add(((RespRequest) o).buffer());
            }
            for (Object o : later) {
                requestBuffers.add(((RespRequest) o).buffer());
            }
            held.forEach(RespFrameDecoderTest::release);
            later.forEach(RespFrameDecoderTest::release);
            for (ByteBuf buf : h.written) {
                assertEquals(0, buf.refCnt(), "all input released once every request is (direct=" + direct + ")");
            }
            for (ByteBuf buf : requestBuffers) {
                assertEquals(0, buf.refCnt(), "request buffers released (direct=" + direct + ")");
            }
            h.finish("held requests");
        }
    }

    @Test
    void partialFrameAndErrorPathsLeakNothing() {
        PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        // a partial request when the connection closes
        Harness h = new Harness(LIMITS, true, false);
        h.write(alloc.directBuffer().writeBytes(concat(mb("PING"), b("*2\r\n$3\r\nGET\r\n$5\r\nab"))));
        List<Object> out = h.drain();
        assertEquals(1, out.size());
        out.forEach(RespFrameDecoderTest::release);
        h.finish("partial at close");
        // an error with requests before it still held
        h = new Harness(LIMITS, true, false);
        h.write(alloc.heapBuffer().writeBytes(concat(mb("PING"), b("INLINE \"x\r\n"))));
        h.write(alloc.heapBuffer().writeBytes(mb("PING")));
        out = h.drain();
        assertEquals(2, out.size());
        assertInstanceOf(RespProtocolError.class, out.get(1));
        assertTrue(h.written.get(0).refCnt() > 0);
        out.forEach(RespFrameDecoderTest::release);
        h.finish("error");
        // inline requests allocate their own frame; releasing the request frees it
        h = new Harness(LIMITS, true, false);
        h.write(alloc.heapBuffer().writeBytes(b("SET k \"v\"\r\nGET k\r\n")));
        out = h.drain();
        assertEquals(2, out.size());
        List<ByteBuf> frames = out.stream().map(o -> ((RespRequest) o).buffer()).toList();
        assertEquals(0, h.written.get(0).refCnt(), "inline input is consumed at once");
        out.forEach(RespFrameDecoderTest::release);
        for (ByteBuf f : frames) {
            assertEquals(0, f.refCnt());
        }
        h.finish("inline");
    }

    // ------------------------------------------------------------------------------------------
    // fuzz

    /** An independent, strict parser of one multibulk frame (Redis' rules): its arguments. */
    static List<byte[]> referenceParse(byte[] f) {
        int[] pos = {0};
        if (f.length == 0 || f[0] != '*') {
            throw new AssertionError("frame does not start with '*': " + preview(f));
        }
        pos[0] = 1;
        long argc = referenceCount(f, pos);
        if (argc < 1) {
            throw new AssertionError("frame with " + argc + " arguments: " + preview(f));
        }
        List<byte[]> args = new ArrayList<>();
        for (long i = 0; i < argc; i++) {
            if (pos[0] >= f.length || f[pos[0]] != '$') {
                throw new AssertionError("argument " + i + " is not a bulk: " + preview(f));
            }
            pos[0]++;
            long len = referenceCount(f, pos);
            if (len < 0 || pos[0] + len + 2 > f.length) {
                throw new AssertionError("bad bulk length " + len + ": " + preview(f));
            }
            args.add(Arrays.copyOfRange(f, pos[0], pos[0] + (int) len));
            pos[0] += (int) len;
            if (f[pos[0]] != '\r' || f[pos[0] + 1] != '\n') {
                throw new AssertionError("bulk not followed by CRLF: " + preview(f));
            }
            pos[0] += 2;
        }
        if (pos[0] != f.length) {
            throw new AssertionError("trailing bytes after the frame: " + preview(f));
        }
        return args;
    }

    /** A canonical non-negative decimal ("0" or no leading zero) followed by CRLF. */
    private static long referenceCount(byte[] f, int[] pos) {
        int start = pos[0];
        long value = 0;
        while (pos[0] < f.length && f[pos[0]] >= '0' && f[pos[0]] <= '9') {
            value = value * 10 + (f[pos[0]] - '0');
            pos[0]++;
            if (pos[0] - start > 12) {
                throw new AssertionError("count too long: " + preview(f));
            }
        }
        int digits = pos[0] - start;
        if (digits == 0 || (digits > 1 && f[start] == '0')) {
            throw new AssertionError("not a canonical count: " + preview(f));
        }
        if (pos[0] + 1 >= f.length || f[pos[0]] != '\r' || f[pos[0] + 1] != '\n') {
            throw new AssertionError("count not followed by CRLF: " + preview(f));
        }
        pos[0] += 2;
        return value;
    }

    private static final byte[] INTERESTING = b("*$\r\n-0123456789 \"'\\x:+");

    /** A random valid pipeline; its expected requests are added to {@code expected}. */
    static byte[] randomPipeline(Random r, List<Out> expected) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int requests = 1 + r.nextInt(8);
        for (int q = 0; q < requests; q++) {
            int kind = r.nextInt(10);
            if (kind < 6) {
                byte[][] args = new byte[1 + r.nextInt(5)][];
                for (int i = 0; i < args.length; i++) {
                    int size = switch (r.nextInt(20)) {
                        case 0 -> 300 + r.nextInt(5000);
                        case 1, 2, 3, 4 -> 13 + r.nextInt(300);
                        default -> r.nextInt(13);
                    };
                    args[i] = new byte[size];
                    r.nextBytes(args[i]);
                    for (int k = 0; k < size; k++) {
                        if (r.nextInt(4) == 0) {
                            args[i][k] = INTERESTING[r.nextInt(INTERESTING.length)];
                        }
                    }
                }
                out.writeBytes(mb(args));
                expected.add(req(args));
            } else if (kind < 9) {
                int argc = 1 + r.nextInt(4);
                List<byte[]> args = new ArrayList<>();
                StringBuilder line = new StringBuilder(r.nextBoolean() ? "" : " ");
                for (int i = 0; i < argc; i++) {
                    StringBuilder word = new StringBuilder();
                    for (int k = 0, n = 1 + r.nextInt(8); k < n; k++) {
                        word.append("abcXYZ019_:-.".charAt(r.nextInt(13)));
                    }
                    switch (r.nextInt(4)) {
                        case 0 -> {
                            line.append('"').append(word).append("\\x41\\n").append('"');
                            args.add(b(word + "A\n"));
                        }
                        case 1 -> {
                            line.append('\'').append(word).append("\\'").append('\'');
                            args.add(b(word + "'"));
                        }
                        default -> {
                            line.append(word);
                            args.add(b(word.toString()));
                        }
                    }
                    line.append(r.nextBoolean() ? " " : " \t ");
                }
                line.append(r.nextBoolean() ? "\r\n" : "\n");
                out.writeBytes(b(line.toString()));
                expected.add(req(args.toArray(new byte[0][])));
            } else {
                out.writeBytes(b(switch (r.nextInt(3)) {
                    case 0 -> "*0\r\n";
                    case 1 -> "*-1\r\n";
                    default -> "\r\n";
                }));
            }
        }
        return out.toByteArray();
    }

    static byte[] mutate(byte[] data, Random r) {
        byte[] d = data;
        for (int m = 0, n = 1 + r.nextInt(3); m < n; m++) {
            int at = d.length == 0 ? 0 : r.nextInt(d.length);
            switch (r.nextInt(7)) {
                case 0 -> {                                      // flip a byte
                    if (d.length > 0) {
                        d = d.clone();
                        d[at] = r.nextBoolean() ? (byte) r.nextInt(256) : INTERESTING[r.nextInt(INTERESTING.length)];
                    }
                }
                case 1 -> d = Arrays.copyOf(d, at);              // truncate
                case 2 -> {                                      // insert garbage
                    byte[] garbage = new byte[1 + r.nextInt(10)];
                    for (int k = 0; k < garbage.length; k++) {
                        garbage[k] = r.nextBoolean() ? (byte) r.nextInt(256) : INTERESTING[r.nextInt(INTERESTING.length)];
                    }
                    d = concat(Arrays.copyOf(d, at), garbage, Arrays.copyOfRange(d, at, d.length));
                }
                case 3 -> {                                      // delete a range
                    int to = Math.min(d.length, at + 1 + r.nextInt(20));
                    d = concat(Arrays.copyOf(d, at), Arrays.copyOfRange(d, to, d.length));
                }
                case 4 -> {                                      // duplicate a range
                    int to = Math.min(d.length, at + 1 + r.nextInt(40));
                    d = concat(Arrays.copyOf(d, to), Arrays.copyOfRange(d, at, d.length));
                }
                case 5 -> {                                      // a leading zero or sign in a count
                    for (int k = at; k + 1 < d.length; k++) {
                        if ((d[k] == '*' || d[k] == '$') && d[k + 1] >= '0' && d[k + 1] <= '9') {
                            d = concat(Arrays.copyOf(d, k + 1), b(r.nextBoolean() ? "0" : r.nextBoolean() ? "-" : "+"),
                                    Arrays.copyOfRange(d, k + 1, d.length));
                            break;
                        }
                    }
                }
                default -> {                                     // change a digit of a count
                    for (int k = at; k < d.length; k++) {
                        if (d[k] >= '0' && d[k] <= '9') {
                            d = d.clone();
                            d[k] = (byte) ('0' + r.nextInt(10));
                            break;
                        }
                    }
                }
            }
        }
        return d;
    }

    /** Feeds input in random chunks; checks the invariants; returns what came out (copied, released). */
    static List<Out> fuzzDecode(byte[] input, RespLimits limits, boolean authenticated, Random chunks, String context) {
        Harness h = new Harness(limits, authenticated, true);
        List<Out> outs = new ArrayList<>();
        int at = 0;
        boolean failed = false;
        do {
            int n = chunks == null ? input.length - at : Math.min(input.length - at, 1 + chunks.nextInt(chunks.nextBoolean() ? 8 : 700));
            h.write(input, at, at + n);        // never throws: EmbeddedChannel rethrows pipeline exceptions here
            at += n;
            for (Object o : h.drain()) {
                try {
                    if (failed) {
                        fail(context + ": emitted " + copyOut(o) + " after an error");
                    }
                    if (o instanceof RespProtocolError e) {
                        failed = true;
                        assertTrue(e.message().startsWith("ERR Protocol error: "), context + ": " + e.message());
                    } else {
                        RespRequest r = assertInstanceOf(RespRequest.class, o);
                        assertTrue(r.argc() >= 1, context);
                        assertTrue(r.frameIndex() >= 0 && r.frameIndex() + r.frameLength() <= r.buffer().writerIndex(), context);
                        byte[] frame = ByteBufUtil.getBytes(r.buffer(), r.frameIndex(), r.frameLength());
                        List<byte[]> args = referenceParse(frame);
                        assertEquals(args.size(), r.argc(), context);
                        for (int i = 0; i < args.size(); i++) {
                            assertArrayEquals(args.get(i), r.argBytes(i), context + ": argument " + i);
                        }
                    }
                    outs.add(copyOut(o));
                } finally {
                    release(o);
                }
            }
        } while (at < input.length);
        // whatever follows an error is dropped; a valid request after a clean stream may still be stuck behind a partial frame
        if (failed) {
            h.write(concat(mb("PING"), b("PING\r\n")));
            assertEquals(List.of(), drainOut(h), context + ": emitted after an error");
        }
        h.finish(context);
        return outs;
    }

    @Test
    void fuzzMutatedPipelines() {
        RespLimits small = new RespLimits(1000, 4, 64, 3, 100);
        int requests = 0;
        int errors = 0;
        for (long seed = 1; seed <= 200; seed++) {
            Random r = new Random(seed);
            String context = "fuzz seed " + seed;
            try {
                List<Out> expected = new ArrayList<>();
                byte[] pipeline = randomPipeline(r, expected);
                boolean useSmall = r.nextInt(4) == 0;
                RespLimits limits = useSmall ? small : LIMITS;
                boolean authenticated = r.nextInt(3) != 0;
                // the valid pipeline itself decodes to exactly what was generated
                if (!useSmall && authenticated) {
                    assertOutEquals(expected, fuzzDecode(pipeline, limits, true, null, context + " (valid)"), context + " (valid)");
                }
                for (int variant = 0; variant < 5; variant++) {
                    String vc = context + " variant " + variant;
                    byte[] input = mutate(pipeline, r);
                    List<Out> whole = fuzzDecode(input, limits, authenticated, null, vc + " whole");
                    List<Out> chunked = fuzzDecode(input, limits, authenticated, new Random(seed * 31 + variant), vc + " chunked");
                    // chunking never changes the requests, nor whether the stream is an error
                    // (only the text of a "too big ... string" error may depend on how much has arrived)
                    List<Out> wholeRequests = whole.stream().filter(o -> o instanceof Req).toList();
                    List<Out> chunkedRequests = chunked.stream().filter(o -> o instanceof Req).toList();
                    assertOutEquals(wholeRequests, chunkedRequests, vc + ": chunked vs whole requests");
                    assertEquals(whole.size() > wholeRequests.size(), chunked.size() > chunkedRequests.size(),
                            vc + ": chunked vs whole error; whole " + whole + " chunked " + chunked);
                    requests += wholeRequests.size();
                    errors += whole.size() - wholeRequests.size();
                }
            } catch (Throwable t) {
                System.err.println("RespFrameDecoderTest.fuzzMutatedPipelines failed with seed " + seed);
                throw t;
            }
        }
        System.out.println("fuzzMutatedPipelines: " + requests + " requests, " + errors + " errors");
        // the fuzz is not vacuous: mutated streams yield both requests and errors
        assertTrue(requests > 1000 && errors > 300, "requests " + requests + ", errors " + errors);
    }

    @Test
    void referenceParserAcceptsWhatItShould() {
        assertEquals(2, referenceParse(mb("GET", "k")).size());
        assertEquals(0, referenceParse(mb("")).get(0).length);
        for (String bad : new String[] {"*1\r\n$01\r\nx\r\n", "*01\r\n$1\r\nx\r\n", "*1\r\n$1\r\nxx\r\n", "*1\r\n$1\r\nx\r\nextra", "*0\r\n"}) {
            try {
                referenceParse(b(bad));
                fail("accepted " + bad);
            } catch (AssertionError expected) {
                assertFalse(expected.getMessage().startsWith("accepted"), expected.getMessage());
            }
        }
    }
}
