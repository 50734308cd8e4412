package io.keymesh.topology.wire;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RespParserTest {
    private static Object parse(String resp) {
        return RespParser.standard().parse(Unpooled.copiedBuffer(resp, StandardCharsets.ISO_8859_1));
    }

    @Test
    void integersAndLengthsAreReadExactlyToTheLimitsOfALong() {
        assertEquals(0L, parse(":0\r\n"));
        assertEquals(-42L, parse(":-42\r\n"));
        assertEquals(Long.MAX_VALUE, parse(":9223372036854775807\r\n"));
        assertEquals(Long.MIN_VALUE, parse(":-9223372036854775808\r\n"));
        assertEquals(999_999_999_999_999_999L, parse(":999999999999999999\r\n"));
        assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), (byte[]) parse("$5\r\nhello\r\n"));
        assertNull(parse("$-1\r\n"));
        assertNull(parse("*-1\r\n"));
        Object array = parse("*2\r\n:1\r\n$1\r\nx\r\n");
        assertTrue(array instanceof List<?> l && l.size() == 2 && l.get(0).equals(1L)
                && Arrays.equals((byte[]) l.get(1), new byte[] {'x'}));
    }

    @Test
    void nestingIsRefusedPastItsLimitInsteadOfOverflowingTheStack() {
        Object deepest = parse("*1\r\n".repeat(RespParser.DEPTH_MAX) + ":7\r\n");
        for (int i = 0; i < RespParser.DEPTH_MAX; i++) {
            deepest = ((List<?>) deepest).get(0);
        }
        assertEquals(7L, deepest);
        assertThrows(RespFormatException.class, () -> parse("*1\r\n".repeat(RespParser.DEPTH_MAX + 1) + ":7\r\n"));
        assertThrows(RespFormatException.class, () -> parse("*1\r\n".repeat(200_000) + ":7\r\n"));
    }

    @Test
    void malformedNumbersAreRejectedWithTheTextInTheMessage() {
        for (String bad : List.of(":\r\n", ":-\r\n", ":12a\r\n", ":9223372036854775808\r\n", "$1x\r\nx\r\n", "*+1\r\n:1\r\n")) {
            RespFormatException e = assertThrows(RespFormatException.class, () -> parse(bad), bad);
            assertTrue(e.getMessage().startsWith("not an integer"), e.getMessage());
        }
    }

    @Test
    void writtenArraysParseBackWithTheLengthTheWriterPredicts() {
        for (int size : new int[] {0, 1, 9, 10, 99, 100, 999, 1000, 12345}) {
            List<byte[]> args = new java.util.ArrayList<>();
            for (int i = 0; i < 11; i++) {
                byte[] a = new byte[size + i];
                Arrays.fill(a, (byte) ('a' + i));
                args.add(a);
            }
            io.netty.buffer.ByteBuf buf = RespWriter.write(Unpooled.buffer(), args);
            assertEquals(RespWriter.encodedLength(args), buf.readableBytes(), "size " + size);
            List<?> back = (List<?>) RespParser.standard().parse(buf);
            assertEquals(args.size(), back.size());
            for (int i = 0; i < args.size(); i++) {
                assertArrayEquals(args.get(i), (byte[]) back.get(i));
            }
        }
    }

    @Test
    void simpleStringsAndErrorsKeepTheirText() {
        assertEquals("OK", parse("+OK\r\n"));
        assertEquals("ERR nope", ((RespError) parse("-ERR nope\r\n")).message());
    }
}
