package io.keymesh.storage.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The library text and the km_w request encoder, without a server. */
class ApplyLibraryTest {

    @Test
    void sourceIsOneNamedLibraryWithEveryContractFunction() {
        String src = ApplyLibrary.source();
        assertTrue(src.startsWith("#!lua name=keymesh\n"), "the shebang must be the first line");
        for (String fn : new String[] {"km_w", "km_ws", "km_r", "km_dumpkey", "km_mergekey", "km_mergeflush", "km_flushscan", "km_trim", "km_mark", "km_gc", "km_version"}) {
            assertTrue(src.contains("'" + fn + "'"), fn + " is registered");
        }
        assertTrue(src.contains("'" + ApplyLibrary.version() + "'"), "the version is baked into the text");
    }

    @Test
    void localWriteRequestIsTheFcallPrefixFollowedByTheClientsArgumentBytes() {
        byte[] client = RawConnection.request("SET", "key", new byte[] {0, '\r', '\n', (byte) 0xff});
        int header = "*3\r\n".length();
        ByteBuf args = Unpooled.wrappedBuffer(client, header, client.length - header);
        int readable = args.readableBytes();
        ByteBuf out = ApplyLibrary.encodeLocalWrite(ByteBufAllocator.DEFAULT, 3, 7, 16, "a1b2c3d4",
                "0000018f2a3b4c5da1b2c3d4", 0, 3, args);
        try {
            byte[] expected = RawConnection.request("FCALL", "km_w", "0", "3", "7", "16", "a1b2c3d4",
                    "0000018f2a3b4c5da1b2c3d4", "0", "SET", "key", new byte[] {0, '\r', '\n', (byte) 0xff});
            byte[] got = new byte[out.readableBytes()];
            out.readBytes(got);
            assertEquals(new String(expected, StandardCharsets.ISO_8859_1), new String(got, StandardCharsets.ISO_8859_1));
            assertEquals(expected.length, out.capacity(), "sized exactly: one buffer, no growth");
            assertEquals(readable, args.readableBytes(), "the client's bytes are not consumed");
        } finally {
            out.release();
        }
    }

    @Test
    void loadCommandIsFunctionLoadReplaceOfTheSource() {
        byte[] expected = RawConnection.request("FUNCTION", "LOAD", "REPLACE",
                ApplyLibrary.source().getBytes(StandardCharsets.UTF_8));
        assertTrue(Arrays.equals(expected, ApplyLibrary.loadCommand()));
    }
}
