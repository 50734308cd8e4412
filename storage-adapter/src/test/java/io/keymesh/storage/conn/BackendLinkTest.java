package io.keymesh.storage.conn;

import io.keymesh.storage.conn.RespCommand;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** BackendLink over an EmbeddedChannel: the reply FIFO, pushes, closing; no socket. */
class BackendLinkTest {
    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    }

    /** Everything the link hands out, in order, as text. */
    private final List<String> events = new ArrayList<>();
    private EmbeddedChannel channel;
    private BackendLink link;
    private int closedCalls;

    private final LinkListener listener = new LinkListener() {
        @Override
        public void onUnsolicited(ByteBuf buffer, int index, int length) {
            events.add("unsolicited " + text(buffer, index, length));
        }

        @Override
        public void onClosed(BackendLink l) {
            assertTrue(l == link);
            closedCalls++;
        }
    };

    private final class Sink implements ReplySink {
        final String name;

        Sink(String name) {
            this.name = name;
        }

        @Override
        public void onReply(ByteBuf buffer, int index, int length) {
            events.add(name + " reply " + text(buffer, index, length));
        }

        @Override
        public void onFailure(String error) {
            events.add(name + " failed " + error);
        }
    }

    private static String text(ByteBuf buffer, int index, int length) {
        return buffer.toString(index, length, StandardCharsets.ISO_8859_1);
    }

    @BeforeEach
    void open() throws Exception {
        BackendLink.ReplyHandler handler = new BackendLink.ReplyHandler();
        channel = new EmbeddedChannel(false, false, handler);      // not registered yet: "connecting"
        link = new BackendLink(channel, listener, io.keymesh.storage.time.TimeSource.system());
        handler.link(link);
    }

    @AfterEach
    void close() {
        if (channel.isRegistered()) {
            channel.finishAndReleaseAll();
        }
    }

    private void connect() throws Exception {
        channel.register();                 // fires channelActive: the link is connected
        channel.runPendingTasks();
    }

    private String written() {
        channel.runPendingTasks();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuf buf;
        while ((buf = channel.readOutbound()) != null) {
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            buf.release();
            out.writeBytes(bytes);
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private void reply(String bytes) {
        channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
    }

    @Test
    void requestsAreHeldUntilConnectedThenFlushedInOrder() throws Exception {
        link.send(RespCommand.encode("PING"), new Sink("a"));
        link.send(RespCommand.encode("GET", "k"), new Sink("b"));
        assertEquals("", written());
        assertEquals(2, link.inFlight());
        connect();
        assertEquals("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", written());
    }

    @Test
    void repliesGoToSinksInFifoOrder() throws Exception {
        connect();
        ByteBuf src = Unpooled.copiedBuffer("xx*1\r\n$4\r\nPING\r\nyy", StandardCharsets.ISO_8859_1);
        link.send(RespCommand.encode("SET", "k", "v"), new Sink("a"));
        link.send(src, 2, 14, new Sink("b"));
        link.send(RespCommand.encode("LRANGE", "l", "0", "-1"), new Sink("c"));
        assertEquals(1, src.refCnt(), "the copied-from source stays the caller's");
        src.release();
        assertEquals("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$4\r\nPING\r\n*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n",
                written());
        assertEquals(3, link.inFlight());
        reply("+OK\r\n+PO");
        assertEquals(List.of("a reply +OK\r\n"), events);
        reply("NG\r\n*2\r\n$1\r\nx\r\n");
        reply("$-1\r\n");
        assertEquals(List.of("a reply +OK\r\n", "b reply +PONG\r\n", "c reply *2\r\n$1\r\nx\r\n$-1\r\n"), events);
        assertEquals(0, link.inFlight());
    }

    @Test
    void repliesSplitAtEveryByteStillGoInOrder() throws Exception {
        connect();
        String replies = "+OK\r\n:12\r\n$5\r\nhe\r\no\r\n*2\r\n%1\r\n+k\r\n_\r\n|1\r\n+a\r\n+b\r\n#t\r\n-ERR no\r\n";
        for (int i = 0; i < 5; i++) {
            link.send(RespCommand.encode("CMD" + i), new Sink("s" + i));
        }
        written();
        for (char c : replies.toCharArray()) {
            reply(String.valueOf(c));
        }
        assertEquals(List.of("s0 reply +OK\r\n", "s1 reply :12\r\n", "s2 reply $5\r\nhe\r\no\r\n",
                "s3 reply *2\r\n%1\r\n+k\r\n_\r\n|1\r\n+a\r\n+b\r\n#t\r\n", "s4 reply -ERR no\r\n"), events);
    }

    @Test
    void pushGoesToTheListenerNotTheFifoHead() throws Exception {
        connect();
        link.send(RespCommand.encode("GET", "a"), new Sink("a"));
        link.send(RespCommand.encode("GET", "b"), new Sink("b"));
        String push = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\na\r\n";
        reply(push + "$1\r\n1\r\n" + push + "$1\r\n2\r\n");
        assertEquals(List.of("unsolicited " + push, "a reply $1\r\n1\r\n", "unsolicited " + push, "b reply $1\r\n2\r\n"), events);
        assertEquals(0, link.inFlight());
    }

    @Test
    void framesWithNoWaitingSinkGoToTheListener() throws Exception {
        connect();
        link.send(RespCommand.encode("SUBSCRIBE", "ch"), null);
        assertEquals(0, link.inFlight());
        reply("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
        assertEquals(List.of("unsolicited *3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n",
                "unsolicited *3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"), events);
    }

    @Test
    void closingTheChannelFailsEveryPendingSink() throws Exception {
        connect();
        link.send(RespCommand.encode("A"), new Sink("a"));
        link.send(RespCommand.encode("B"), new Sink("b"));
        link.send(RespCommand.encode("C"), new Sink("c"));
        written();
        reply("+OK\r\n$5\r\npar");           // b's reply is partial when the connection goes
        channel.close();
        assertEquals(List.of("a reply +OK\r\n", "b failed ERR keymesh: backend connection closed",
                "c failed ERR keymesh: backend connection closed"), events);
        assertEquals(1, closedCalls);
        assertFalse(link.isOpen());
        assertEquals(0, link.inFlight());
        // a request sent afterwards fails at once and its buffer is released
        ByteBuf late = RespCommand.encode("D");
        link.send(late, new Sink("d"));
        assertEquals(0, late.refCnt());
        assertEquals("d failed ERR keymesh: backend connection closed", events.get(events.size() - 1));
        assertEquals(1, closedCalls);
    }

    @Test
    void closeWithAReasonFailsPendingSinksWithThatReason() throws Exception {
        connect();
        link.send(RespCommand.encode("A"), new Sink("a"));
        link.send(RespCommand.encode("B"), new Sink("b"));
        link.close("ERR keymesh: going away");
        assertEquals(List.of("a failed ERR keymesh: going away", "b failed ERR keymesh: going away"), events);
        events.clear();
        link.send(Unpooled.EMPTY_BUFFER, 0, 0, new Sink("c"));
        assertEquals(List.of("c failed ERR keymesh: going away"), events);
        assertEquals(1, closedCalls);
    }

    @Test
    void closingBeforeConnectFailsHeldRequests() {
        link.send(RespCommand.encode("A"), new Sink("a"));
        link.onClosed("ERR keymesh: backend unreachable");
        assertEquals(List.of("a failed ERR keymesh: backend unreachable"), events);
        assertEquals(1, closedCalls);
    }

    @Test
    void garbageFromTheBackendClosesTheLinkAndFailsPendingSinks() throws Exception {
        connect();
        link.send(RespCommand.encode("A"), new Sink("a"));
        link.send(RespCommand.encode("B"), new Sink("b"));
        reply("+OK\r\n?what\r\n");
        assertEquals(2, events.size(), events.toString());
        assertEquals("a reply +OK\r\n", events.get(0));
        assertTrue(events.get(1).startsWith("b failed ERR keymesh: backend link error:"), events.get(1));
        assertFalse(channel.isOpen());
        assertFalse(link.isOpen());
        assertEquals(1, closedCalls);
        assertNull(channel.readInbound());
    }

    /** A run that sends one request naming the items added to it. */
    private final class NamedRun implements BackendLink.Run {
        final List<String> items = new ArrayList<>();

        @Override
        public void send(BackendLink l) {
            l.send(RespCommand.encode("RUN", String.join(",", items)), new Sink("run"));
        }
    }

    /** Opens a run of {@code items} on the link. */
    private NamedRun openRun(String... items) {
        NamedRun run = new NamedRun();
        link.startRun(run);
        run.items.addAll(List.of(items));
        assertTrue(link.run() == run);
        return run;
    }

    @Test
    void aRunLeavesAtTheEndOfTheTurnOfAnIdleLinkAndBeforeTheNextRequest() throws Exception {
        connect();
        openRun("a", "b");
        assertEquals("*2\r\n$3\r\nRUN\r\n$3\r\na,b\r\n", written(), "no run unanswered: the flush sends it");
        assertNull(link.run());
        reply("+1\r\n");
        openRun("c");
        link.send(RespCommand.encode("GET", "k"), new Sink("get"));     // ends the run first
        assertNull(link.run());
        assertEquals("*2\r\n$3\r\nRUN\r\n$1\r\nc\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", written());
        reply("+2\r\n+3\r\n");
        assertEquals(List.of("run reply +1\r\n", "run reply +2\r\n", "get reply +3\r\n"), events);
    }

    @Test
    void aRunStaysOpenWhileTheRunBeforeItIsUnansweredAndLeavesWithItsReply() throws Exception {
        connect();
        openRun("a");
        assertEquals("*2\r\n$3\r\nRUN\r\n$1\r\na\r\n", written());
        NamedRun held = openRun("b");
        assertEquals("", written(), "run a is unanswered: run b gathers more");
        held.items.add("c");
        assertTrue(link.run() == held);
        reply("+1\r\n");
        assertEquals("*2\r\n$3\r\nRUN\r\n$3\r\nb,c\r\n", written(), "run a's reply lets run b leave");
        assertNull(link.run());
        reply("+2\r\n");
        assertEquals(List.of("run reply +1\r\n", "run reply +2\r\n"), events);
        openRun("d");
        assertEquals("*2\r\n$3\r\nRUN\r\n$1\r\nd\r\n", written(), "every run answered: the next leaves at once");
    }

    @Test
    void aRunHeldWhenTheLinkClosesFailsWithTheReason() throws Exception {
        connect();
        openRun("a");
        written();
        openRun("b");
        link.close("ERR keymesh: going away");
        assertEquals(List.of("run failed ERR keymesh: going away", "run failed ERR keymesh: going away"), events);
        assertNull(link.run());
    }

    @Test
    void aRunOpenWhenTheLinkClosesFailsWithTheReason() throws Exception {
        connect();
        openRun("a");
        link.close("ERR keymesh: going away");
        assertEquals(List.of("run failed ERR keymesh: going away"), events);
        assertNull(link.run());
    }
}
