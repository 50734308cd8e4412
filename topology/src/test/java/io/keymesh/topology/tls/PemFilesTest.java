package io.keymesh.topology.tls;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Arrays;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Private keys in the PEM forms keymesh reads, and clear refusals of the others. */
class PemFilesTest {
    @TempDir
    Path dir;

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    @Test
    void readsPkcs8AndPkcs1RsaKeys() throws Exception {
        KeyPair pair = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        byte[] pkcs8 = pair.getPrivate().getEncoded();
        Path p8 = Files.writeString(dir.resolve("p8.key"), pem("PRIVATE KEY", pkcs8));
        assertArrayEquals(pkcs8, PemFiles.privateKey(p8).getEncoded());
        // PKCS#8 of RSA is SEQ { INT 0, AlgorithmIdentifier (15 bytes), OCTET STRING { PKCS#1 } }: the last element
        byte[] pkcs1 = Arrays.copyOfRange(pkcs8, pkcs8.length - octetLength(pkcs8), pkcs8.length);
        Path p1 = Files.writeString(dir.resolve("p1.key"), "text before the key\n" + pem("RSA PRIVATE KEY", pkcs1));
        assertArrayEquals(pkcs8, PemFiles.privateKey(p1).getEncoded());
    }

    @Test
    void readsEcKeys() throws Exception {
        byte[] pkcs8 = KeyPairGenerator.getInstance("EC").generateKeyPair().getPrivate().getEncoded();
        Path p = Files.writeString(dir.resolve("ec.key"), pem("PRIVATE KEY", pkcs8));
        assertArrayEquals(pkcs8, PemFiles.privateKey(p).getEncoded());
    }

    @Test
    void refusesEncryptedMissingAndAbsentKeysNamingTheFile() throws Exception {
        Path encrypted = Files.writeString(dir.resolve("enc.key"), pem("ENCRYPTED PRIVATE KEY", new byte[] {1, 2, 3}));
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class, () -> PemFiles.privateKey(encrypted));
        assertTrue(e.getMessage().contains("enc.key") && e.getMessage().contains("encrypted"), e.getMessage());
        Path none = Files.writeString(dir.resolve("none.key"), "not a key");
        e = assertThrows(GeneralSecurityException.class, () -> PemFiles.privateKey(none));
        assertTrue(e.getMessage().contains("none.key"), e.getMessage());
        java.io.IOException io = assertThrows(java.io.IOException.class, () -> PemFiles.privateKey(dir.resolve("absent.key")));
        assertTrue(io.getMessage().contains("absent.key"), io.getMessage());
        Path noCert = Files.writeString(dir.resolve("empty.crt"), "");
        assertThrows(Exception.class, () -> PemFiles.certificates(noCert));
    }

    /** Length of the content of the last OCTET STRING (tag 0x04, long-form length) of {@code der}. */
    private static int octetLength(byte[] der) {
        int i = 4 + 3 + 15;          // outer header (30 82 xx xx), version, algorithm
        if (der[i] != 0x04) {
            throw new AssertionError("unexpected PKCS#8 layout");
        }
        int lengthBytes = der[i + 1] & 0x7f;
        int length = 0;
        for (int k = 0; k < lengthBytes; k++) {
            length = (length << 8) | (der[i + 2 + k] & 0xff);
        }
        return length;
    }
}
