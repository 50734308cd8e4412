package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Values far larger than any network buffer pass through keymesh intact, both ways. */
class LargeValuesIT extends OneNodePerClass {
    private static final int SIZE = 20 * 1024 * 1024;
    private static byte[] value;

    @BeforeAll
    static void makeValue() {
        value = new byte[SIZE];
        new Random(42).nextBytes(value);      // binary, including CR, LF and NUL bytes
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void twentyMegabyteValueSetWithLettuceComesBackIntact() {
        RedisCommands<byte[], byte[]> r = fx.client(ProtocolVersion.RESP2).connect(ByteArrayCodec.INSTANCE).sync();
        byte[] key = "big:lettuce".getBytes(StandardCharsets.UTF_8);
        assertEquals("OK", r.set(key, value));
        assertEquals(SIZE, r.strlen(key));
        byte[] back = r.get(key);
        assertEquals(SIZE, back.length);
        assertEquals(sha256(value), sha256(back));
        assertArrayEquals(value, back);
        assertEquals("OK", r.set("small".getBytes(), "s".getBytes()), "the connection works after the large value");
        r.getStatefulConnection().close();
    }

    @Test
    void twentyMegabyteValueOverARawSocketInOneWriteComesBackIntact() throws IOException {
        try (RespSocket s = fx.raw()) {
            s.timeout(Duration.ofSeconds(30));
            ByteArrayOutputStream request = new ByteArrayOutputStream(SIZE + 64);
            request.writeBytes("*3\r\n$3\r\nSET\r\n$7\r\nbig:raw\r\n".getBytes(StandardCharsets.US_ASCII));
            request.writeBytes(("$" + SIZE + "\r\n").getBytes(StandardCharsets.US_ASCII));
            request.writeBytes(value);
            request.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            RespSocket.encodeInto(request, "STRLEN", "big:raw");
            RespSocket.encodeInto(request, "GET", "big:raw");
            RespSocket.encodeInto(request, "PING");
            s.sendRaw(request.toByteArray());
            assertEquals("OK", s.read());
            assertEquals((long) SIZE, s.read());
            byte[] back = s.readBulkBytes();
            assertEquals(sha256(value), sha256(back));
            assertEquals("PONG", s.read(), "the reply after the large value is in place");
            try (RespSocket other = fx.raw()) {
                other.timeout(Duration.ofSeconds(30));
                other.send("GETRANGE", "big:raw", Integer.toString(SIZE - 16), "-1");
                byte[] tail = other.readBulkBytes();
                byte[] expected = new byte[16];
                System.arraycopy(value, SIZE - 16, expected, 0, 16);
                assertArrayEquals(expected, tail);
            }
        }
    }
}
