package io.keymesh.proxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/** The read buffer guess for client connections: a stream of small requests never fills it exactly. */
class ClientReadsTest {
    /**
     * Feeds the allocator's handle 200 reads of {@code requestBytes} each; returns the first read
     * whose buffer that request fills exactly (Netty then reads again and finds nothing), or -1.
     */
    private static int firstExactFill(RecvByteBufAllocator allocator, int requestBytes) {
        EmbeddedChannel channel = new EmbeddedChannel();
        try {
            RecvByteBufAllocator.Handle handle = allocator.newHandle();
            for (int read = 0; read < 200; read++) {
                handle.reset(channel.config());
                int guess = handle.guess();
                if (guess == requestBytes) {
                    return read;
                }
                handle.attemptedBytesRead(guess);
                handle.lastBytesRead(requestBytes);
                handle.incMessagesRead(1);
                handle.readComplete();
            }
            return -1;
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void smallRequestsNeverFillAClientReadBuffer() {
        assertEquals(-1, firstExactFill(KeymeshServer.CLIENT_READS, 144));    // SET key:000000012345 <100 bytes>
        assertEquals(-1, firstExactFill(KeymeshServer.CLIENT_READS, 48));     // GET key:000000012345
    }

    @Test
    void nettysDefaultGuessComesDownToA144ByteRequest() {
        assertTrue(firstExactFill(new AdaptiveRecvByteBufAllocator(), 144) >= 0,
                "the default guess steps down to 144 bytes: the reason for CLIENT_READS");
    }
}
