package io.keymesh.proxy.fuzz;

import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.Hello;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.PeerAuth;
import io.keymesh.topology.wire.RespError;
import io.keymesh.topology.wire.RespStreamReader;
import io.keymesh.topology.wire.RespWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The valid link handshakes of the fake peer and the fake replica, each in one method, so that a
 * change of the handshake is made here only: {@link #serve} answers a pulling node as a peer
 * would, {@link #pull} opens a replica's link to the node. Both prove the cluster secret with
 * {@link PeerAuth} when they hold one (an empty secret: no proofs, as for a node without one).
 */
final class LinkHandshake {
    private LinkHandshake() {
    }

    /**
     * As a peer: reads the node's {@code KEYMESH HELLO}, answers with this fake node's id, stamp,
     * database count, nonce and proof; with a secret, reads and checks the node's
     * {@code KEYMESH AUTH}; reads {@code KEYMESH PULL peer [<origin> <seq> ...]} and answers with a
     * partial Sync of this fake origin from the node's position of it. Returns that position.
     */
    static long serve(RespStreamReader in, OutputStream out, String fakeId, int databases, String secret)
            throws IOException {
        return serve(in, out, fakeId, databases, secret, position -> new RespBytes().command(
                Frames.toArgs(new LinkFrame.Sync(LinkFrame.Sync.PARTIAL, fakeId, position))).bytes());
    }

    /** As {@link #serve}, answering PULL with the bytes {@code sync} makes of the node's position of the fake origin. */
    static long serve(RespStreamReader in, OutputStream out, String fakeId, int databases, String secret,
                      java.util.function.LongFunction<byte[]> sync) throws IOException {
        List<String> hello = strings(in.read());
        if (hello.size() < 3 || !hello.get(0).equalsIgnoreCase("KEYMESH") || !hello.get(1).equalsIgnoreCase("HELLO")) {
            throw new IOException("expected KEYMESH HELLO from the node, got " + hello);
        }
        Hello parsed = Hello.parse(hello.subList(2, hello.size()));
        String nonce = PeerAuth.nonce();
        String proof = secret.isEmpty() ? "" : PeerAuth.serverProof(secret, parsed.nonce(), nonce, fakeId, parsed.nodeId());
        write(out, new Hello.Reply(fakeId, stamp(fakeId), databases, nonce, proof).toArgs());
        List<String> next = strings(in.read());
        if (!secret.isEmpty()) {
            String expected = PeerAuth.clientProof(secret, nonce, parsed.nonce(), parsed.nodeId(), fakeId);
            if (next.size() != 3 || !next.get(1).equalsIgnoreCase("AUTH") || !PeerAuth.matches(expected, next.get(2))) {
                throw new IOException("expected KEYMESH AUTH with the node's proof of the cluster secret, got " + next);
            }
            out.write("+OK\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            next = strings(in.read());
        }
        if (next.size() < 3 || next.size() % 2 == 0 || !next.get(1).equalsIgnoreCase("PULL")
                || !next.get(2).equalsIgnoreCase("peer")) {
            throw new IOException("expected KEYMESH PULL peer [<origin> <seq> ...], got " + next);
        }
        long position = 0;
        for (int i = 3; i < next.size(); i += 2) {
            if (next.get(i).equals(fakeId)) {
                position = Long.parseLong(next.get(i + 1));
            }
        }
        out.write(sync.apply(position));
        out.flush();
        return position;
    }

    /**
     * As a replica: sends {@code KEYMESH HELLO}, checks the node's proof and proves the secret in
     * {@code KEYMESH AUTH} (with a secret), then sends {@code KEYMESH PULL replica} from
     * {@code positions} (origin to sequence) and reads the node's Sync frame, as a real puller does
     * before it sends anything else; returns the serving node's id.
     */
    static String pull(RespStreamReader in, OutputStream out, String replicaId, String secret,
                       Map<String, Long> positions) throws IOException {
        return pull(in, out, replicaId, secret, positions, new byte[0]);
    }

    /** As {@link #pull}, with {@code behind} written in the same write as the PULL, before the Sync frame is read. */
    static String pull(RespStreamReader in, OutputStream out, String replicaId, String secret,
                       Map<String, Long> positions, byte[] behind) throws IOException {
        Hello hello = new Hello(replicaId, "replica", "127.0.0.1:1", stamp(replicaId));
        write(out, hello.toArgs());
        Object answer = in.read();
        if (answer instanceof RespError e) {
            throw new IOException("the node refused the replica's HELLO: " + e.message());
        }
        Hello.Reply reply = Hello.Reply.parse(answer);
        if (!secret.isEmpty()) {
            String expected = PeerAuth.serverProof(secret, hello.nonce(), reply.nonce(), reply.nodeId(), replicaId);
            if (!PeerAuth.matches(expected, reply.proof())) {
                throw new IOException("the node could not prove the cluster secret");
            }
            write(out, List.of(RespWriter.bytes("KEYMESH"), RespWriter.bytes("AUTH"),
                    RespWriter.bytes(PeerAuth.clientProof(secret, reply.nonce(), hello.nonce(), replicaId, reply.nodeId()))));
            Object ok = in.read();
            if (!"OK".equals(ok)) {
                throw new IOException("the node refused the replica's KEYMESH AUTH: " + ok);
            }
        }
        List<byte[]> args = new ArrayList<>(List.of(RespWriter.bytes("KEYMESH"), RespWriter.bytes("PULL"),
                RespWriter.bytes("replica")));
        positions.forEach((origin, seq) -> {
            args.add(RespWriter.bytes(origin));
            args.add(RespWriter.bytes(seq));
        });
        out.write(new RespBytes().command(args).raw(behind).bytes());
        out.flush();
        Object first = in.read();
        if (!(first instanceof List<?> && Frames.decode(first) instanceof LinkFrame.Sync)) {
            throw new IOException("expected the node's Sync frame after PULL, got " + first);
        }
        return reply.nodeId();
    }

    private static String stamp(String nodeId) {
        return Stamp.of(Hlc.pack(System.currentTimeMillis(), 0), nodeId);
    }

    private static void write(OutputStream out, List<byte[]> args) throws IOException {
        out.write(new RespBytes().command(args).bytes());
        out.flush();
    }

    private static List<String> strings(Object value) throws IOException {
        if (!(value instanceof List<?> list)) {
            throw new IOException("expected a request array, got " + value);
        }
        List<String> out = new ArrayList<>();
        for (Object o : list) {
            out.add(Frames.text(o));
        }
        return out;
    }
}
