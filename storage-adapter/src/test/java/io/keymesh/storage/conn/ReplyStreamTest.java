package io.keymesh.storage.conn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyStreamTest {
    private static InputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A stream that hands out one byte per read, as a slow socket might. */
    private static InputStream trickle(String s) {
        InputStream in = bytes(s);
        return new InputStream() {
            @Override
            public int read() throws IOException {
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return in.read(b, off, Math.min(len, 1));
            }
        };
    }

    @Test
    void readsEachReplyOfAPipelineInTurn() throws IOException {
        ReplyStream in = new ReplyStream(bytes("+PONG\r\n*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n-BUSY script\r\n:42\r\n"), 1024);
        assertEquals("PONG", in.next().readText());
        ReplyReader role = in.next();
        assertEquals(3, role.readAggregate());
        assertEquals("master", role.readText());
        assertEquals(0, role.readLong());
        role.skip();
        assertFalse(role.hasMore());
        ReplyReader busy = in.next();
        assertTrue(busy.isError());
        assertEquals("BUSY script", busy.readText());
        assertEquals(42, in.next().readLong());
        assertNull(in.next(), "end of stream between replies");
    }

    @Test
    void assemblesRepliesArrivingAByteAtATime() throws IOException {
        ReplyStream in = new ReplyStream(trickle("$11\r\nrole:master\r\n%1\r\n+a\r\n_\r\n"), 1024);
        assertEquals("role:master", in.next().readText());
        ReplyReader map = in.next();
        assertEquals(1, map.readAggregate());
        assertEquals("a", map.readText());
        assertTrue(map.isNull());
    }

    @Test
    void refusesAReplyOverTheBoundWithoutReadingIt() {
        ReplyStream in = new ReplyStream(bytes("$100000\r\n" + "x".repeat(100_000) + "\r\n"), 1024);
        IOException e = assertThrows(IOException.class, in::next);
        assertTrue(e.getMessage().contains("1024"), e.getMessage());
    }

    @Test
    void refusesBytesThatAreNotResp() {
        IOException e = assertThrows(IOException.class, () -> new ReplyStream(bytes("HTTP/1.1 400\r\n"), 1024).next());
        assertTrue(e.getMessage().startsWith("not a RESP reply"), e.getMessage());
    }

    @Test
    void aStreamEndingInsideAReplyIsAnError() {
        assertThrows(EOFException.class, () -> new ReplyStream(bytes("*2\r\n:1\r\n"), 1024).next());
    }

    @Test
    void commandsAreArraysOfBulkStrings() {
        ByteBuf b = RespCommand.encode("SET", "k\u00e9", "");
        assertEquals("*3\r\n$3\r\nSET\r\n$3\r\nk\u00e9\r\n$0\r\n\r\n", b.toString(StandardCharsets.UTF_8));
        List<byte[]> args = List.of("x".repeat(12).getBytes(StandardCharsets.US_ASCII));
        ByteBuf w = RespCommand.write(io.netty.buffer.Unpooled.buffer(), args);
        assertEquals(RespCommand.encodedLength(args), w.readableBytes());
        assertEquals("*1\r\n$12\r\n" + "x".repeat(12) + "\r\n", w.toString(StandardCharsets.US_ASCII));
    }

    @Test
    void headersCarryAnyLong() {
        for (long n : new long[] {0, 9, 10, -1, 1234567890123L, Long.MAX_VALUE, Long.MIN_VALUE}) {
            ByteBuf b = io.netty.buffer.Unpooled.buffer(4);
            RespCommand.writeHeader(b, ':', n);
            assertEquals(":" + n + "\r\n", b.toString(StandardCharsets.US_ASCII));
        }
    }
}
