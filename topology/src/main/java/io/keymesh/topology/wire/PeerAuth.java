package io.keymesh.topology.wire;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The proofs of the link handshake: both ends show they hold the cluster secret without sending it.
 *
 * <h2>Design</h2>
 * The puller sends a fresh random nonce in {@code KEYMESH HELLO}; the serving node answers with a
 * nonce of its own and its proof, {@code HMAC-SHA256(secret, "keymesh-server\n" + clientNonce + "\n"
 * + serverNonce + "\n" + serverId + "\n" + clientId)}; the puller checks it, then sends its proof
 * {@code HMAC-SHA256(secret, "keymesh-client\n" + serverNonce + "\n" + clientNonce + "\n" + clientId
 * + "\n" + serverId)} in {@code KEYMESH AUTH}, which the serving node checks. Each proof covers the
 * other side's fresh nonce (a recorded proof is worth nothing on a later connection), both node ids
 * (a proof for one pair of nodes is worth nothing for another) and a label per direction (a node
 * never computes the proof the other direction needs, so it cannot be made to answer for an
 * impostor). Proofs and nonces travel as lower-case hex; proofs are compared in constant time.
 */
public final class PeerAuth {
    /** Random bytes in a nonce (64 hex characters on the wire). */
    public static final int NONCE_BYTES = 32;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private PeerAuth() {
    }

    /** A fresh nonce: {@link #NONCE_BYTES} random bytes as hex. */
    public static String nonce() {
        byte[] b = new byte[NONCE_BYTES];
        RANDOM.nextBytes(b);
        return HEX.formatHex(b);
    }

    /** True for a nonce as {@link #nonce()} makes them. */
    public static boolean validNonce(String nonce) {
        if (nonce.length() != 2 * NONCE_BYTES) {
            return false;
        }
        for (int i = 0; i < nonce.length(); i++) {
            char c = nonce.charAt(i);
            if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /** The serving node's proof, answering the puller's HELLO. */
    public static String serverProof(String secret, String clientNonce, String serverNonce, String serverId,
                                     String clientId) {
        return hmac(secret, "keymesh-server\n" + clientNonce + "\n" + serverNonce + "\n" + serverId + "\n" + clientId);
    }

    /** The puller's proof, sent in KEYMESH AUTH. */
    public static String clientProof(String secret, String serverNonce, String clientNonce, String clientId,
                                     String serverId) {
        return hmac(secret, "keymesh-client\n" + serverNonce + "\n" + clientNonce + "\n" + clientId + "\n" + serverId);
    }

    /** Compares an expected proof with one received, in time independent of where they differ. */
    public static boolean matches(String expected, String received) {
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                received.getBytes(StandardCharsets.US_ASCII));
    }

    private static String hmac(String secret, String message) {
        if (secret.isEmpty()) {
            throw new IllegalArgumentException("no cluster secret to prove");
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HEX.formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }
}
