package io.keymesh.proxy.fuzz;

import io.keymesh.proxy.mesh.Await;
import io.keymesh.proxy.mesh.MeshFixture;
import io.keymesh.proxy.mesh.MeshNode;
import io.keymesh.topology.link.ServeStatus;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * A replica that acknowledges origins the serving node neither logs nor was asked for (made up, by
 * the thousand) does not grow what the node keeps per link: those acks are ignored and counted,
 * acks of a real origin still count, and the link keeps streaming.
 */
class ReplicaAckOriginsIT {
    private static final int MADE_UP = 20_000;

    @Test
    void acksOfOriginsTheNodeDoesNotServeAreIgnored() throws Exception {
        try (MeshFixture mesh = MeshFixture.builder().nodes(2).start();
             Socket socket = new Socket()) {
            MeshNode node = mesh.node(0);
            socket.connect(new InetSocketAddress("127.0.0.1", node.port()), 5000);
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            RespStreamReader in = new RespStreamReader(socket.getInputStream(), RespParser.standard());
            String nodeId = LinkHandshake.pull(in, out, "fe11ca01", MeshFixture.SECRET, Map.of());

            RespBytes acks = new RespBytes();
            for (int i = 0; i < MADE_UP; i++) {
                acks.command(Frames.toArgs(new LinkFrame.Ack(String.format("%08x", 0xa0000000L + i), 5)));
            }
            out.write(acks.bytes());
            out.flush();

            node.sync().set("ack-probe", "v1");
            awaitBatchWith(in, "v1");
            out.write(new RespBytes().command(Frames.toArgs(new LinkFrame.Ack(nodeId, 1))).bytes());
            out.flush();

            ServeStatus link = node.keymesh().mesh().replicas().get(0);
            Await.until(Duration.ofSeconds(20), "made-up origins ignored and the real ack counted",
                    () -> link.acksIgnored() == MADE_UP && link.ackedSeq() == 1,
                    () -> "ignored " + link.acksIgnored() + ", acked " + link.ackedSeq());
            node.sync().set("ack-probe", "v2");
            awaitBatchWith(in, "v2");
        }
    }

    /** Reads frames until a batch carries {@code value}: the link still streams this node's writes. */
    static void awaitBatchWith(RespStreamReader in, String value) throws Exception {
        byte[] wanted = value.getBytes(StandardCharsets.UTF_8);
        while (true) {
            if (Frames.decode(in.read()) instanceof LinkFrame.Batch batch) {
                for (LogEntry e : batch.entries()) {
                    for (byte[] field : e.fields()) {
                        if (java.util.Arrays.equals(field, wanted)) {
                            return;
                        }
                    }
                }
            }
        }
    }
}
