package io.keymesh.storage.conn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReplyReaderTest {
    private static ReplyReader reader(String reply) {
        return new ReplyReader(Unpooled.copiedBuffer(reply, StandardCharsets.US_ASCII));
    }

    @Test
    void readsIntegersOfEverySignAndLengthAsLongParseLongDoes() {
        for (long n : new long[] {0, 7, -7, 123456789012345678L, -123456789012345678L, Long.MAX_VALUE, Long.MIN_VALUE}) {
            assertEquals(n, reader(":" + n + "\r\n").readLong(), Long.toString(n));
        }
        assertEquals(3, reader("*3\r\n").readAggregate());
        assertEquals(-1, reader("*-1\r\n").readAggregate());
    }

    @Test
    void readsBulksByTheirDeclaredLength() {
        ReplyReader r = reader("*2\r\n$3\r\nabc\r\n$12\r\nhello\r\nworld\r\n");
        assertEquals(2, r.readAggregate());
        assertArrayEquals("abc".getBytes(StandardCharsets.US_ASCII), r.readString());
        assertArrayEquals("hello\r\nworld".getBytes(StandardCharsets.US_ASCII), r.readString());
    }

    @Test
    void refusesANumberThatIsNone() {
        assertThrows(NumberFormatException.class, () -> reader(":12a\r\n").readLong());
        assertThrows(NumberFormatException.class, () -> reader(":-\r\n").readLong());
        assertThrows(NumberFormatException.class, () -> reader(":\r\n").readLong());
        assertThrows(NumberFormatException.class, () -> reader(":99999999999999999999\r\n").readLong());
    }
}
