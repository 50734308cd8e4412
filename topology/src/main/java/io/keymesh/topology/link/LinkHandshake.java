package io.keymesh.topology.link;

import io.keymesh.topology.wire.Hello;
import io.keymesh.topology.wire.PeerAuth;
import io.keymesh.topology.wire.RespError;
import io.keymesh.topology.wire.RespWriter;

import java.util.List;

/**
 * The puller's half of the link handshake, the one place peer and replica links run it, as steps
 * over whatever carries the bytes: {@link #hello()} is {@code KEYMESH HELLO} with a fresh nonce;
 * {@link #onAnswer} checks the serving node's answer and, when this node holds the cluster secret,
 * its proof ({@link PeerAuth}), and gives the {@code KEYMESH AUTH} that proves this node in turn;
 * {@link #onAuthAnswer} checks that it was accepted. A serving node that cannot prove the secret is
 * refused with {@link SecretRefusedException} before anything is pulled from it.
 */
final class LinkHandshake {
    private final PullLink.Self self;
    private final String who;
    private final Hello hello;
    private Hello.Reply reply;

    /**
     * Greets the serving node ({@code who}, e.g. "peer 10.0.0.2:6380", names it in refusals) as
     * {@code role} with this node's {@code stamp}.
     */
    LinkHandshake(PullLink.Self self, String role, String stamp, String who) {
        this.self = self;
        this.who = who;
        this.hello = new Hello(self.nodeId(), role, self.advertise(), stamp);
    }

    /** The HELLO to send first. */
    List<byte[]> hello() {
        return hello.toArgs();
    }

    /**
     * Checks the answer to the HELLO; returns the {@code KEYMESH AUTH} to send next, or null when
     * this node has no secret (the handshake is done).
     */
    List<byte[]> onAnswer(Object answer) throws PeerRefusedException {
        if (answer instanceof RespError e) {
            throw new PeerRefusedException(refusal(e.message()));
        }
        try {
            reply = Hello.Reply.parse(answer);
        } catch (IllegalArgumentException e) {
            throw new PeerRefusedException("bad KEYMESH HELLO reply from " + who + ": " + e.getMessage());
        }
        String secret = self.clusterSecret();
        if (secret.isEmpty()) {
            return null;
        }
        String expected = PeerAuth.serverProof(secret, hello.nonce(), reply.nonce(), reply.nodeId(), self.nodeId());
        if (!PeerAuth.matches(expected, reply.proof())) {
            throw new SecretRefusedException(who + " (node " + reply.nodeId() + ") could not prove the cluster secret"
                    + (reply.proof().isEmpty() ? " (it has none; set the same keymesh.cluster-secret on every node)"
                    : " (its keymesh.cluster-secret differs from this node's)"));
        }
        String proof = PeerAuth.clientProof(secret, reply.nonce(), hello.nonce(), self.nodeId(), reply.nodeId());
        return List.of(RespWriter.bytes("KEYMESH"), RespWriter.bytes("AUTH"), RespWriter.bytes(proof));
    }

    /** Checks the answer to KEYMESH AUTH. */
    void onAuthAnswer(Object answer) throws PeerRefusedException {
        if (answer instanceof RespError e) {
            throw new PeerRefusedException(refusal(e.message()));
        }
    }

    /** The serving node's answer to the HELLO, once {@link #onAnswer} accepted it. */
    Hello.Reply reply() {
        return reply;
    }

    /** The refusal text for an error answer; a NOAUTH says what this node lacks. */
    private String refusal(String error) {
        if (error.startsWith("NOAUTH")) {
            return who + " requires authentication (" + error + "): set the same keymesh.cluster-secret on every node";
        }
        return error;
    }
}
