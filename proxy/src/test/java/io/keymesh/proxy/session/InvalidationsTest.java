package io.keymesh.proxy.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Invalidate pushes: recognised, node-state key names taken out, re-framed for a RESP2 target. */
class InvalidationsTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    private static ByteBuf frame(String s) {
        // a prefix before the frame: the helpers must honour the index they are given
        return Unpooled.copiedBuffer("xyz" + s, StandardCharsets.ISO_8859_1);
    }

    /** The bytes of {@code b} as text; releases it (the pooled buffers the filter returns). */
    private static String text(ByteBuf b) {
        String t = b.toString(StandardCharsets.ISO_8859_1);
        b.release();
        return t;
    }

    private static String push(String... keys) {
        StringBuilder sb = new StringBuilder(">2\r\n$10\r\ninvalidate\r\n*" + keys.length + "\r\n");
        for (String k : keys) {
            sb.append('$').append(k.length()).append("\r\n").append(k).append("\r\n");
        }
        return sb.toString();
    }

    private static ByteBuf filter(String push) {
        ByteBuf b = frame(push);
        return Invalidations.withoutStateKeys(ALLOC, b, 3, push.length());
    }

    @Test
    void recognisesInvalidatePushesOnly() {
        String p = push("k");
        assertTrue(Invalidations.isInvalidate(frame(p), 3, p.length()));
        String message = ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n";
        assertFalse(Invalidations.isInvalidate(frame(message), 3, message.length()));
        String reply = "*2\r\n$10\r\ninvalidate\r\n*0\r\n";
        assertFalse(Invalidations.isInvalidate(frame(reply), 3, reply.length()));
    }

    @Test
    void userKeysAndFlushesPassUnchanged() {
        assertNull(filter(push("user:1", "km:custom", "x")));
        assertNull(filter(">2\r\n$10\r\ninvalidate\r\n_\r\n"));
        assertNull(filter(">2\r\n$10\r\ninvalidate\r\n$-1\r\n"));
    }

    @Test
    void stateKeysAreTakenOutAndAPushOfNothingElseVanishes() {
        assertEquals(push("y", "z"), text(filter(push("km:log:6ca10c4d", "y", "km:pos", "z"))));
        ByteBuf none = filter(push("km:marks", "km:log:6356f808"));
        assertFalse(none.isReadable(), "nothing left to send");
    }

    @Test
    void aPushBecomesTheRedirectMessageRedisSendsToARespTwoSubscriber() {
        ByteBuf p = Unpooled.copiedBuffer(push("a", "b"), StandardCharsets.ISO_8859_1);
        assertEquals("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n",
                text(Invalidations.asMessage(ALLOC, p)));
        ByteBuf flush = Unpooled.copiedBuffer(">2\r\n$10\r\ninvalidate\r\n$-1\r\n", StandardCharsets.ISO_8859_1);
        assertEquals("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n", text(Invalidations.asMessage(ALLOC, flush)));
    }
}
