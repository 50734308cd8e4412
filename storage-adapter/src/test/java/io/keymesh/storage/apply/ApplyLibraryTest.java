package io.keymesh.storage.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The library text and the requests that call it (ApplyCalls), without a server. */
class ApplyLibraryTest {

    @Test
    void sourceIsOneNamedLibraryWithEveryContractFunction() {
        String src = ApplyLibrary.source();
        assertTrue(src.startsWith("#!lua name=keymesh\n"), "the shebang must be the first line");
        for (String fn : new String[] {"km_w", "km_ws", "km_wr", "km_r", "km_dumpkey", "km_mergekey", "km_mergeflush", "km_flushscan", "km_trim", "km_mark", "km_gc", "km_version"}) {
            assertTrue(src.contains("'" + fn + "'"), fn + " is registered");
        }
        assertTrue(src.contains("'" + ApplyLibrary.version() + "'"), "the version is baked into the text");
        int facts = src.indexOf(io.keymesh.storage.merge.LibraryFacts.source());
        assertTrue(facts > 0 && facts < src.indexOf("part 2 of 5"), "the generated command facts come before write.lua");
        assertTrue(src.contains("['restore-asking'] = 'not_replicable'"), "every write command's rule, by its wire name");
    }

    @Test
    void kmWHeaderIsTheFcallPrefixOfTheClientsCommand() {
        ApplyCalls calls = new ApplyCalls("a1b2c3d4", 16);
        ByteBuf out = calls.header(ByteBufAllocator.DEFAULT, 3, 3, 7, 0x0000018f2a3b4c5dL, 0);
        ByteBuf txn = calls.header(ByteBufAllocator.DEFAULT, 3, 2, 12, 0x0000018f2a3b4c5dL, 0x0000018f2a3b4c5eL);
        try {
            byte[] full = RawConnection.request("FCALL", "km_w", "0", "3", "7", "16", "a1b2c3d4",
                    "0000018f2a3b4c5da1b2c3d4", "0", "SET", "key", "value");
            String expected = new String(full, StandardCharsets.ISO_8859_1);
            expected = "*12" + expected.substring(3, expected.indexOf("$3\r\nSET"));
            assertEquals(expected, out.toString(StandardCharsets.ISO_8859_1));
            String withTxn = new String(RawConnection.request("FCALL", "km_w", "0", "2", "12", "16", "a1b2c3d4",
                    "0000018f2a3b4c5da1b2c3d4", "0000018f2a3b4c5e"), StandardCharsets.ISO_8859_1);
            assertEquals("*12" + withTxn.substring(2), txn.toString(StandardCharsets.ISO_8859_1));
        } finally {
            out.release();
            txn.release();
        }
    }

    @Test
    void touchIsAWholeKmWCallOfKmTouch() {
        ByteBuf out = new ApplyCalls("a1b2c3d4", 16).touch(ByteBufAllocator.DEFAULT, 2, 0, 1, "q".getBytes(StandardCharsets.US_ASCII),
                "LPOP".getBytes(StandardCharsets.US_ASCII), "2".getBytes(StandardCharsets.US_ASCII));
        try {
            byte[] expected = RawConnection.request("FCALL", "km_w", "0", "2", "0", "16", "a1b2c3d4",
                    "0000000000000001a1b2c3d4", "0", "KM.TOUCH", "q", "LPOP", "2");
            assertEquals(new String(expected, StandardCharsets.ISO_8859_1), out.toString(StandardCharsets.ISO_8859_1));
        } finally {
            out.release();
        }
    }
}
