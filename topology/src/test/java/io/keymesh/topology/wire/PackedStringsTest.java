package io.keymesh.topology.wire;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PackedStringsTest {
    /** What redis-server's cmsgpack.pack({'a', ('x'):rep(40), ('y'):rep(300)}) returns (fixarray, fixstr, str 8, str 16). */
    private static byte[] redisPacked() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x93);
        out.write(0xa1);
        out.write('a');
        out.write(0xd9);
        out.write(40);
        out.writeBytes("x".repeat(40).getBytes(StandardCharsets.US_ASCII));
        out.write(0xda);
        out.write(0x01);
        out.write(0x2c);
        out.writeBytes("y".repeat(300).getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    @Test
    void readsTheArrayOfStringsCmsgpackWrites() {
        List<byte[]> s = PackedStrings.unpack(redisPacked());
        assertEquals(3, s.size());
        assertArrayEquals("a".getBytes(StandardCharsets.US_ASCII), s.get(0));
        assertEquals(40, s.get(1).length);
        assertEquals(300, s.get(2).length);
        assertEquals(3, PackedStrings.count(redisPacked()));
        assertEquals(0, PackedStrings.count(new byte[] {(byte) 0x90}), "an empty array");
    }

    @Test
    void readsArray16And32AndStr32() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0xdc, 0x00, 0x14});
        for (int i = 0; i < 20; i++) {
            out.writeBytes(new byte[] {(byte) 0xa1, 'v'});
        }
        assertEquals(20, PackedStrings.count(out.toByteArray()), "array 16, as an entry's 513+ fields come");
        byte[] wide = {(byte) 0xdd, 0, 0, 0, 1, (byte) 0xdb, 0, 0, 0, 2, 'o', 'k'};
        assertArrayEquals("ok".getBytes(StandardCharsets.US_ASCII), PackedStrings.unpack(wide).get(0));
    }

    @Test
    void refusesWhatCmsgpackDoesNotWriteForAnArrayOfStrings() {
        byte[][] bad = {
            {},                                                   // nothing
            {(byte) 0xa1, 'x'},                                   // a string, not an array
            {(byte) 0x81, (byte) 0xa1, 'k', (byte) 0xa1, 'v'},    // a map
            {(byte) 0x91, 0x05},                                  // an integer item
            {(byte) 0x91, (byte) 0xc4, 1, 'x'},                   // bin 8 (cmsgpack writes strings as str)
            {(byte) 0x91, (byte) 0x91, (byte) 0xa0},              // a nested array
            {(byte) 0x92, (byte) 0xa1, 'x'},                      // ends after the first of two
            {(byte) 0x91, (byte) 0xa3, 'x'},                      // a string longer than what is left
            {(byte) 0x91, (byte) 0xa1, 'x', 'y'},                 // bytes after the array
            {(byte) 0xdc, 0x00},                                  // ends inside the count
            {(byte) 0x91, (byte) 0xda, 0x01},                     // ends inside a length
        };
        for (byte[] b : bad) {
            assertThrows(IllegalArgumentException.class, () -> PackedStrings.unpack(b), () -> java.util.Arrays.toString(b));
            assertThrows(IllegalArgumentException.class, () -> PackedStrings.count(b));
        }
    }

    @Test
    void aDeclaredCountOrLengthPastTheBytesPresentIsRefusedWithoutAllocatingIt() {
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> PackedStrings.unpack(new byte[] {(byte) 0xdd, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
        assertTrue(count.getMessage().contains("4294967295"), count.getMessage());
        IllegalArgumentException length = assertThrows(IllegalArgumentException.class,
                () -> PackedStrings.unpack(new byte[] {(byte) 0x91, (byte) 0xdb, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
        assertTrue(length.getMessage().contains("2147483647 bytes where 0 are left"), length.getMessage());
    }

    @Test
    void randomBytesAreReadOrRefusedNeverAnythingElse() {
        SplittableRandom random = new SplittableRandom(20261207);
        byte[] valid = redisPacked();
        for (int i = 0; i < 20_000; i++) {
            byte[] b = random.nextInt(2) == 0 ? new byte[random.nextInt(12)] : valid.clone();
            if (b.length == valid.length) {
                b[random.nextInt(b.length)] = (byte) random.nextInt(256);
            } else {
                for (int j = 0; j < b.length; j++) {
                    b[j] = (byte) random.nextInt(256);
                }
            }
            try {
                int n = PackedStrings.count(b);
                assertEquals(n, PackedStrings.unpack(b).size());
            } catch (IllegalArgumentException refused) {
                assertThrows(IllegalArgumentException.class, () -> PackedStrings.unpack(b));
            }
        }
    }
}
