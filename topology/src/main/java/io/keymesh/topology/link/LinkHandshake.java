package io.keymesh.topology.link;

import io.keymesh.topology.wire.Hello;
import io.keymesh.topology.wire.PeerAuth;
import io.keymesh.topology.wire.RespError;
import io.keymesh.topology.wire.RespStreamReader;
import io.keymesh.topology.wire.RespWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * The puller's half of the link handshake, the one place peer and replica links run it: sends
 * {@code KEYMESH HELLO} with a fresh nonce, reads the serving node's answer and, when this node holds
 * the cluster secret, checks the serving node's proof ({@link PeerAuth}) and proves itself with
 * {@code KEYMESH AUTH}. A serving node that cannot prove the secret is refused with
 * {@link SecretRefusedException} before anything is pulled from it.
 */
final class LinkHandshake {
    private LinkHandshake() {
    }

    /**
     * Greets the node behind {@code out}/{@code in} ({@code who}, e.g. "peer 10.0.0.2:6380", names it
     * in refusals) as {@code role}; returns its answer once both sides are authenticated.
     */
    static Hello.Reply greet(OutputStream out, RespStreamReader in, PullLink.Self self, String role, String stamp,
                             String who) throws IOException, PeerRefusedException {
        Hello hello = new Hello(self.nodeId(), role, self.advertise(), stamp);
        BlockingResp.send(out, hello.toArgs());
        Object answer = in.read();
        if (answer instanceof RespError e) {
            throw new PeerRefusedException(refusal(who, e.message()));
        }
        Hello.Reply reply;
        try {
            reply = Hello.Reply.parse(answer);
        } catch (IllegalArgumentException e) {
            throw new PeerRefusedException("bad KEYMESH HELLO reply from " + who + ": " + e.getMessage());
        }
        String secret = self.clusterSecret();
        if (secret.isEmpty()) {
            return reply;
        }
        String expected = PeerAuth.serverProof(secret, hello.nonce(), reply.nonce(), reply.nodeId(), self.nodeId());
        if (!PeerAuth.matches(expected, reply.proof())) {
            throw new SecretRefusedException(who + " (node " + reply.nodeId() + ") could not prove the cluster secret"
                    + (reply.proof().isEmpty() ? " (it has none; set the same keymesh.cluster-secret on every node)"
                    : " (its keymesh.cluster-secret differs from this node's)"));
        }
        String proof = PeerAuth.clientProof(secret, reply.nonce(), hello.nonce(), self.nodeId(), reply.nodeId());
        BlockingResp.send(out, List.of(RespWriter.bytes("KEYMESH"), RespWriter.bytes("AUTH"), RespWriter.bytes(proof)));
        Object ok = in.read();
        if (ok instanceof RespError e) {
            throw new PeerRefusedException(refusal(who, e.message()));
        }
        return reply;
    }

    /** The refusal text for an error answer; a NOAUTH says what this node lacks. */
    private static String refusal(String who, String error) {
        if (error.startsWith("NOAUTH")) {
            return who + " requires authentication (" + error + "): set the same keymesh.cluster-secret on every node";
        }
        return error;
    }
}
