package io.keymesh.proxy.fuzz;

import io.keymesh.proxy.mesh.Await;
import io.keymesh.proxy.mesh.MeshFixture;
import io.keymesh.proxy.mesh.MeshNode;
import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.link.ServeStatus;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Link frames where a real node never sends them, from a fake node that proved the cluster secret:
 * snapshot frames on a streaming link (with a stamp far ahead or a current one), a batch with
 * a malformed stamp, and batches with other fields the apply library cannot read (a counter vector,
 * a stream floor, a group register, packed fields that are no msgpack or hold a malformed stamp) are
 * refused and change nothing (housekeeping goes on, and skips and counts metadata it cannot read),
 * and acknowledgements written in the same burst as KEYMESH PULL reach the link's sender.
 */
class LinkFramesInPlaceIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String FAKE_ID = "fa15e0a1";

    @Test
    void snapshotFramesOnAStreamingLinkAreRefusedAndChangeNothing() throws Exception {
        try (ServerSocket fake = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             MeshFixture mesh = MeshFixture.builder().nodes(1)
                     .setting(0, "keymesh.peers", List.of("127.0.0.1:" + fake.getLocalPort())).start()) {
            MeshNode node = mesh.node(0);
            node.sync().set("kept", "before");
            fake.setSoTimeout((int) WAIT.toMillis());

            // a flush epoch 63 minutes ahead, as a streaming link's frame
            long ahead = Hlc.pack(System.currentTimeMillis() + 63 * 60_000L, 0);
            try (Socket s = fake.accept()) {
                sendAfterHandshake(s, new LinkFrame.SnapshotFlush(0, Stamp.of(ahead, FAKE_ID)));
                awaitLastError(node, "clock ahead");
            }
            assertEquals("before", node.sync().get("kept"), "a refused flush flushed nothing");
            node.sync().set("after", "written");
            assertEquals("written", node.sync().get("after"), "a write after the refusal applies");

            // a current stamp: still refused on a streaming link (a sender sends it only during a snapshot)
            long now = Hlc.pack(System.currentTimeMillis(), 0);
            try (Socket s = fake.accept()) {
                sendAfterHandshake(s, new LinkFrame.SnapshotFlush(0, Stamp.of(now, FAKE_ID)));
                awaitLastError(node, "SnapshotFlush outside a snapshot");
            }
            assertEquals("before", node.sync().get("kept"));
            assertEquals("written", node.sync().get("after"));

            // the link still applies the fake peer's batches
            awaitBatchApplied(fake, node, Stamp.of(now + 1, FAKE_ID), "from-peer");
        }
    }

    @Test
    void aBatchWithAMalformedLowerStampIsRefusedAndHousekeepingGoesOn() throws Exception {
        try (ServerSocket fake = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             MeshFixture mesh = MeshFixture.builder().nodes(1)
                     .setting(0, "keymesh.peers", List.of("127.0.0.1:" + fake.getLocalPort()))
                     .setting("keymesh.replication.tombstone-max-age", "1s").start();
             StatefulRedisConnection<String, String> backend = mesh.node(0).connectBackend()) {
            MeshNode node = mesh.node(0);
            RedisCommands<String, String> meta = backend.sync();
            meta.select(MeshFixture.DATABASES);                // db 0's metadata
            fake.setSoTimeout((int) WAIT.toMillis());

            // an entry of two SETs: the newest stamp right, the lower one random bytes
            long now = Hlc.pack(System.currentTimeMillis(), 0);
            try (Socket s = fake.accept()) {
                long seq = sendAfterHandshake(s, null) + 1;
                LogEntry sets = new LogEntry(seq, List.of(Pick.utf8("t"), Pick.utf8(Stamp.of(now, FAKE_ID)),
                        Pick.utf8("k"), Pick.utf8("fz:1"), Pick.utf8("s"), Pick.utf8("one"),
                        Pick.utf8("t"), new byte[] {0x01, '|', 'z', ' ', '1', ' ', 'y'},
                        Pick.utf8("k"), Pick.utf8("fz:2"), Pick.utf8("s"), Pick.utf8("two")));
                write(s.getOutputStream(), new LinkFrame.Batch(FAKE_ID, List.of(sets)));
                awaitLastError(node, "entry " + seq + " stamped \"\\x01|z 1 y\"");
            }
            assertNull(node.sync().get("fz:1"), "nothing of the refused batch is applied");
            assertNull(node.sync().get("fz:2"));
            assertEquals(0L, meta.exists("fz:1", "fz:2"), "and no metadata of it stored");

            // housekeeping collects a deleted key's tombstone and finds no unreadable metadata
            node.sync().set("gone", "x");
            node.sync().del("gone");
            assertEquals(1L, meta.exists("gone"), "the delete's tombstone");
            Await.until(WAIT, "the tombstone of gone collected", () -> meta.exists("gone") == 0,
                    () -> node.info("replication").toString());
            assertEquals("0", node.info("replication").get("mesh_metadata_unreadable"));

            // metadata a library cannot read (as such a stamp left it) stops neither collection nor the node
            node.sync().set("bad", "kept");
            String corrupt = Stamp.of(now, FAKE_ID) + "|||" + Stamp.of(1, FAKE_ID) + "|" + FAKE_ID + " "
                    + Stamp.of(now, FAKE_ID) + " z y";
            meta.set("bad", corrupt);
            node.sync().set("gone", "y");
            node.sync().del("gone");
            Await.until(WAIT, "the unreadable key is counted and the other tombstone collected",
                    () -> meta.exists("gone") == 0 && "1".equals(node.info("replication").get("mesh_metadata_unreadable")),
                    () -> node.info("replication").toString());
            assertEquals(corrupt, meta.get("bad"), "the unreadable metadata is left as it was");
            assertEquals("kept", node.sync().get("bad"));

            // the link still applies the fake peer's well-stamped batches
            awaitBatchApplied(fake, node, Stamp.of(now + 1, FAKE_ID), "fz:1");
        }
    }

    @Test
    void batchesWithFieldsTheLibraryCannotReadAreRefusedBeforeAnyIsApplied() throws Exception {
        try (ServerSocket fake = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             MeshFixture mesh = MeshFixture.builder().nodes(1)
                     .setting(0, "keymesh.peers", List.of("127.0.0.1:" + fake.getLocalPort())).start();
             StatefulRedisConnection<String, String> backend = mesh.node(0).connectBackend()) {
            MeshNode node = mesh.node(0);
            RedisCommands<String, String> meta = backend.sync();
            fake.setSoTimeout((int) WAIT.toMillis());
            String now = Stamp.of(Hlc.pack(System.currentTimeMillis(), 0), FAKE_ID);
            // the ops of a long entry as redis-server's own cmsgpack packs them: a well-formed SET, then
            // a write whose stamp is random bytes
            String packedBadStamp = (String) meta.eval("return cmsgpack.pack(ARGV)", ScriptOutputType.VALUE, new String[0],
                    "k", "hz:5", "s", "v", "t", "\u0001|z 1 y", "k", "hz:6", "s", "v");

            // per batch: what INFO's last_error says (up to the rule's first comma: INFO shows commas as ;), its fields
            Map<String, List<String>> hostile = new LinkedHashMap<>();
            hostile.put("with v \"" + FAKE_ID + " " + now + " five\" (refused: a counter vector", List.of("t", now, "k", "hz:1",
                    "v", FAKE_ID + " " + now + " five", "s", "v"));
            hostile.put("with xt \"5-0 " + FAKE_ID + "\" (refused: xa", List.of("t", now, "k", "hz:stream",
                    "xa", "1-0", "xv", "\u0092\u00a1f\u00a1v", "e", "0", "xt", "5-0 " + FAKE_ID));
            hostile.put("with xp \"1-0 many w1\" (refused: xp is", List.of("t", now, "k", "hz:stream", "xg", "workers",
                    "xp", "1-0 many w1"));
            hostile.put("with m \"k hz:3 s v\" (refused: m and xv are a msgpack array of strings",
                    List.of("t", now, "k", "hz:3", "m", "k hz:3 s v"));
            hostile.put("stamped \"\\x01|z 1 y\" in its packed fields (m) (refused: every t and q",
                    List.of("t", now, "m", packedBadStamp));
            for (Map.Entry<String, List<String>> c : hostile.entrySet()) {
                try (Socket s = fake.accept()) {
                    long seq = sendAfterHandshake(s, null) + 1;
                    // a well-formed entry first: nothing of a refused batch is applied, not even it
                    LogEntry good = new LogEntry(seq, List.of(Pick.utf8("t"), Pick.utf8(now), Pick.utf8("k"),
                            Pick.utf8("hz:0"), Pick.utf8("s"), Pick.utf8("v")));
                    LogEntry bad = new LogEntry(seq + 1, c.getValue().stream()
                            .map(f -> f.getBytes(StandardCharsets.ISO_8859_1)).toList());
                    write(s.getOutputStream(), new LinkFrame.Batch(FAKE_ID, List.of(good, bad)));
                    awaitLastError(node, "entry " + (seq + 1) + " " + c.getKey());
                }
                assertEquals(0L, node.sync().exists("hz:0", "hz:1", "hz:3", "hz:5", "hz:6", "hz:stream"),
                        "nothing of the refused batch is applied (" + c.getKey() + ")");
                meta.select(MeshFixture.DATABASES);                // db 0's metadata
                assertEquals(0L, meta.exists("hz:0", "hz:1", "hz:3", "hz:5", "hz:6", "hz:stream"), "and no metadata of it stored");
                meta.select(0);
            }
            awaitBatchApplied(fake, node, Stamp.of(Hlc.pack(System.currentTimeMillis(), 1), FAKE_ID), "hz:0");
        }
    }

    @Test
    void anAckWrittenRightBehindPullReachesTheSender() throws Exception {
        try (MeshFixture mesh = MeshFixture.builder().nodes(1).setting("keymesh.replication.enabled", true).start();
             Socket socket = new Socket()) {
            MeshNode node = mesh.node(0);
            node.sync().set("first", "v1");
            socket.connect(new InetSocketAddress("127.0.0.1", node.port()), 5000);
            socket.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = socket.getOutputStream();
            RespStreamReader in = new RespStreamReader(socket.getInputStream(), RespParser.standard());
            byte[] ack = new RespBytes().command(Frames.toArgs(new LinkFrame.Ack(node.nodeId(), 1))).bytes();
            LinkHandshake.pull(in, out, "fe11ca02", MeshFixture.SECRET, Map.of(node.nodeId(), 0L), ack);

            ServeStatus link = node.keymesh().mesh().replicas().get(0);
            Await.until(WAIT, "the ack behind PULL counted", () -> link.ackedSeq() == 1, () -> "acked " + link.ackedSeq());
            node.sync().set("second", "v2");
            ReplicaAckOriginsIT.awaitBatchWith(in, "v2");
        }
    }

    /** Takes the node's next link, sends a SET of {@code key} to "applied" at {@code stamp} and waits until the node applied it. */
    private static void awaitBatchApplied(ServerSocket fake, MeshNode node, String stamp, String key) throws IOException {
        try (Socket s = fake.accept()) {
            long seq = sendAfterHandshake(s, null) + 1;
            LogEntry set = new LogEntry(seq, List.of(Pick.utf8("t"), Pick.utf8(stamp), Pick.utf8("k"), Pick.utf8(key),
                    Pick.utf8("s"), Pick.utf8("applied")));
            write(s.getOutputStream(), new LinkFrame.Batch(FAKE_ID, List.of(set)));
            Await.until(WAIT, "the fake peer's batch applied", () -> "applied".equals(node.sync().get(key)),
                    () -> node.info("replication").toString());
        }
    }

    /** Answers the node's handshake as a peer, then sends {@code frame} (when not null); returns the node's position of the fake origin. */
    private static long sendAfterHandshake(Socket s, LinkFrame frame) throws IOException {
        s.setSoTimeout((int) WAIT.toMillis());
        RespStreamReader in = new RespStreamReader(s.getInputStream(), RespParser.standard());
        long position = LinkHandshake.serve(in, s.getOutputStream(), FAKE_ID, MeshFixture.DATABASES, MeshFixture.SECRET);
        if (frame != null) {
            write(s.getOutputStream(), frame);
        }
        return position;
    }

    private static void write(OutputStream out, LinkFrame frame) throws IOException {
        out.write(new RespBytes().command(Frames.toArgs(frame)).bytes());
        out.flush();
    }

    private static void awaitLastError(MeshNode node, String text) {
        Await.until(WAIT, "the node refuses the frame (" + text + ")",
                () -> node.info("replication").getOrDefault("peer0", "").contains(text),
                () -> node.info("replication").toString());
    }
}
