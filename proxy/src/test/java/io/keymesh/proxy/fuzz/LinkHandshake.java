package io.keymesh.proxy.fuzz;

import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.Hello;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.RespError;
import io.keymesh.topology.wire.RespStreamReader;
import io.keymesh.topology.wire.RespWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The valid link handshakes of the fake peer and the fake replica, each in one method, so that a
 * change of the handshake is made here only: {@link #serve} answers a pulling node as a peer
 * would, {@link #pull} opens a replica's link to the node.
 */
final class LinkHandshake {
    private LinkHandshake() {
    }

    /**
     * As a peer: reads the node's {@code KEYMESH HELLO}, answers with this fake node's id, stamp and
     * database count, reads {@code KEYMESH PULL peer <origin> <seq>} and answers with a partial
     * Sync from that position. Returns the position the node asked for.
     */
    static long serve(RespStreamReader in, OutputStream out, String fakeId, int databases, String secret)
            throws IOException {
        List<String> hello = strings(in.read());
        if (hello.size() < 3 || !hello.get(0).equalsIgnoreCase("KEYMESH") || !hello.get(1).equalsIgnoreCase("HELLO")) {
            throw new IOException("expected KEYMESH HELLO from the node, got " + hello);
        }
        Hello parsed = Hello.parse(hello.subList(2, hello.size()));
        if (!parsed.secret().equals(secret)) {
            throw new IOException("the node sent another cluster secret");
        }
        write(out, new Hello.Reply(fakeId, Stamp.of(Hlc.pack(System.currentTimeMillis(), 0), fakeId), databases).toArgs());
        List<String> pull = strings(in.read());
        if (pull.size() != 5 || !pull.get(1).equalsIgnoreCase("PULL") || !pull.get(3).equals(fakeId)) {
            throw new IOException("expected KEYMESH PULL peer " + fakeId + " <seq>, got " + pull);
        }
        long position = Long.parseLong(pull.get(4));
        write(out, Frames.toArgs(new LinkFrame.Sync(LinkFrame.Sync.PARTIAL, fakeId, position)));
        return position;
    }

    /**
     * As a replica: sends {@code KEYMESH HELLO} and {@code KEYMESH PULL replica} from
     * {@code positions} (origin to sequence); returns the serving node's id. The node's Sync frame
     * is the first frame {@code in} reads next.
     */
    static String pull(RespStreamReader in, OutputStream out, String replicaId, String secret,
                       Map<String, Long> positions) throws IOException {
        String stamp = Stamp.of(Hlc.pack(System.currentTimeMillis(), 0), replicaId);
        write(out, new Hello(secret, replicaId, "replica", "127.0.0.1:1", stamp).toArgs());
        Object reply = in.read();
        if (reply instanceof RespError e) {
            throw new IOException("the node refused the replica's HELLO: " + e.message());
        }
        String nodeId = Hello.Reply.parse(reply).nodeId();
        List<byte[]> args = new ArrayList<>(List.of(RespWriter.bytes("KEYMESH"), RespWriter.bytes("PULL"),
                RespWriter.bytes("replica")));
        positions.forEach((origin, seq) -> {
            args.add(RespWriter.bytes(origin));
            args.add(RespWriter.bytes(seq));
        });
        write(out, args);
        return nodeId;
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
