package io.keymesh.topology.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The handshake's proofs: bound to the secret, both nonces, both node ids and the direction; never the secret itself. */
class PeerAuthTest {
    private static final String SECRET = "a long shared cluster secret";
    private static final String A = "0000000a";
    private static final String B = "0000000b";

    @Test
    void aProofIsHmacSha256OfTheLabelledChallengeAsHex() {
        // the reference HMAC below, checked against RFC 4231 test case 2
        assertEquals("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                hmacOf("Jefe", "what do ya want for nothing?"));
        String cn = PeerAuth.nonce();
        String sn = PeerAuth.nonce();
        assertEquals(hmacOf(SECRET, "keymesh-server\n" + cn + "\n" + sn + "\n" + B + "\n" + A),
                PeerAuth.serverProof(SECRET, cn, sn, B, A));
        assertEquals(hmacOf(SECRET, "keymesh-client\n" + sn + "\n" + cn + "\n" + A + "\n" + B),
                PeerAuth.clientProof(SECRET, sn, cn, A, B));
    }

    @Test
    void proofsDifferForEverySecretNonceNodeAndDirection() {
        String cn = PeerAuth.nonce();
        String sn = PeerAuth.nonce();
        String p = PeerAuth.serverProof(SECRET, cn, sn, B, A);
        assertTrue(PeerAuth.matches(p, PeerAuth.serverProof(SECRET, cn, sn, B, A)));
        assertFalse(PeerAuth.matches(p, PeerAuth.serverProof(SECRET + "x", cn, sn, B, A)), "another secret");
        assertFalse(PeerAuth.matches(p, PeerAuth.serverProof(SECRET, PeerAuth.nonce(), sn, B, A)), "another client nonce");
        assertFalse(PeerAuth.matches(p, PeerAuth.serverProof(SECRET, cn, PeerAuth.nonce(), B, A)), "another server nonce");
        assertFalse(PeerAuth.matches(p, PeerAuth.serverProof(SECRET, cn, sn, "0000000c", A)), "another server");
        assertFalse(PeerAuth.matches(p, PeerAuth.serverProof(SECRET, cn, sn, B, "0000000c")), "another client");
        assertFalse(PeerAuth.matches(p, PeerAuth.clientProof(SECRET, cn, sn, B, A)), "the other direction");
        assertFalse(PeerAuth.matches(p, ""), "no proof");
        assertFalse(p.contains(SECRET) || p.contains(hex(SECRET)), "the proof does not carry the secret");
        assertThrows(IllegalArgumentException.class, () -> PeerAuth.clientProof("", sn, cn, A, B));
    }

    @Test
    void noncesAre32FreshRandomBytesInHex() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String n = PeerAuth.nonce();
            assertTrue(PeerAuth.validNonce(n), n);
            assertTrue(seen.add(n), "a nonce repeated: " + n);
        }
        assertEquals(64, PeerAuth.nonce().length());
        assertFalse(PeerAuth.validNonce("ABCDEF" + PeerAuth.nonce().substring(6)), "upper case");
        assertFalse(PeerAuth.validNonce(PeerAuth.nonce().substring(1)), "short");
        assertNotEquals(PeerAuth.nonce(), PeerAuth.nonce());
    }

    private static String hmacOf(String key, String data) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(key.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
            return java.util.HexFormat.of().formatHex(mac.doFinal(data.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    private static String hex(String s) {
        return java.util.HexFormat.of().formatHex(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
