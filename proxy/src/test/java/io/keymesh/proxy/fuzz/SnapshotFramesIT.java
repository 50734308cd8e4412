package io.keymesh.proxy.fuzz;

import io.keymesh.proxy.it.RespSocket;
import io.keymesh.proxy.mesh.Await;
import io.keymesh.proxy.mesh.MeshFixture;
import io.keymesh.proxy.mesh.MeshNode;
import io.keymesh.topology.clock.Hlc;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;
import io.keymesh.topology.wire.LogEntry;
import io.keymesh.topology.wire.RespParser;
import io.keymesh.topology.wire.RespStreamReader;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Snapshots from a fake peer that proved the cluster secret, inside a real {@code SYNC snapshot}:
 * keys of every type with real DUMP payloads merge exactly, and a key the apply library would take
 * for what it is not (a DUMP of another type than its type item, a malformed stamp or member, a list
 * element id or a stream's trim floor of the wrong shape, a database the node does not have, a payload corrupt inside yet
 * signed with a right checksum) or a SnapshotEnd of the node's own origin is refused with the
 * reason in INFO's last_error, before any of it is merged; the keys before it are merged, and the
 * node's redis-server keeps running.
 */
class SnapshotFramesIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String FAKE_ID = "fa15e0b2";
    /** The valid key a hostile snapshot sends before its hostile one. */
    private DumpCatalog.Value valid;

    @Test
    void aSnapshotOfEveryTypeMergesExactlyAndThenTheLogTail() throws Exception {
        try (PlainRedis plain = new PlainRedis();
             ServerSocket fake = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             MeshFixture mesh = MeshFixture.builder().nodes(1)
                     .setting(0, "keymesh.peers", List.of("127.0.0.1:" + fake.getLocalPort())).start();
             RespSocket client = new RespSocket(mesh.node(0).port(), WAIT)) {
            MeshNode node = mesh.node(0);
            DumpCatalog catalog = DumpCatalog.make(plain.client());
            fake.setSoTimeout((int) WAIT.toMillis());
            try (Socket s = fake.accept()) {
                List<LinkFrame> frames = new ArrayList<>();
                for (int i = 0; i < catalog.values().size(); i++) {
                    DumpCatalog.Value v = catalog.values().get(i);
                    frames.add(key(i % MeshFixture.DATABASES, "v" + i, stamp(i), v.dump(), typeItem(v)));
                }
                long position = snapshot(s, frames);
                write(s.getOutputStream(), new LinkFrame.SnapshotEnd(FAKE_ID, position + 1));
                write(s.getOutputStream(), new LinkFrame.Batch(FAKE_ID, List.of(new LogEntry(position + 2, List.of(
                        Pick.utf8("t"), Pick.utf8(stamp(99)), Pick.utf8("k"), Pick.utf8("tail"), Pick.utf8("s"),
                        Pick.utf8("applied"))))));
                Await.until(WAIT, "the log tail after the snapshot applied", () -> "applied".equals(node.sync().get("tail")),
                        () -> node.info("replication").toString());
                assertEquals("", lastError(node), "a valid snapshot is not refused");
            }
            for (int i = 0; i < catalog.values().size(); i++) {
                client.call("SELECT", Integer.toString(i % MeshFixture.DATABASES));
                assertEquals(catalog.values().get(i).content(), DumpCatalog.content(client, "v" + i), "key v" + i);
            }
        }
    }

    @Test
    void aHostileSnapshotKeyIsRefusedBeforeAnyOfItIsMerged() throws Exception {
        try (PlainRedis plain = new PlainRedis();
             ServerSocket fake = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
             MeshFixture mesh = MeshFixture.builder().nodes(1)
                     .setting(0, "keymesh.peers", List.of("127.0.0.1:" + fake.getLocalPort())).start();
             RespSocket client = new RespSocket(mesh.node(0).port(), WAIT);
             StatefulRedisConnection<String, String> backend = mesh.node(0).connectBackend()) {
            MeshNode node = mesh.node(0);
            DumpCatalog catalog = DumpCatalog.make(plain.client());
            DumpCatalog.Value string = first(catalog, "string");
            valid = string;
            DumpCatalog.Value set = first(catalog, "set");
            DumpCatalog.Value hash = first(catalog, "hash");
            DumpCatalog.Value zset = first(catalog, "zset");
            fake.setSoTimeout((int) WAIT.toMillis());

            refused(fake, node, client, "a DUMP payload of type set where the type item says hash", "h1",
                    key(0, "h1", stamp(1), set.dump(), "hash", "m0", "+" + stamp(1), "x0", "", ""));
            refused(fake, node, client, "register: \"gggggggggggggggggggggggg\" is not a stamp", "h2",
                    key(1, "h2", "g".repeat(24), set.dump(), "set"));
            refused(fake, node, client, "member register \"?", "h3",
                    key(2, "h3", stamp(3), hash.dump(), "hash", "f0", "?" + stamp(3), "v", "", ""));
            refused(fake, node, client, "list element id \"bad-id\"", "h4",
                    key(3, "h4", stamp(4), new byte[0], "l", FAKE_ID + " 5", "bad-id", "value"));
            refused(fake, node, client, "stream floors", "h7", key(1, "h7", stamp(7), first(catalog, "stream").dump(),
                    "stream", "1-1 " + "g".repeat(24), stamp(7), "", "", "xstream"));
            refused(fake, node, client, "database 4", "h5", key(MeshFixture.DATABASES, "h5", stamp(5), string.dump()));
            for (int db = 0; db <= 2 * MeshFixture.DATABASES; db++) {
                backend.sync().select(db);
                assertEquals(0L, backend.sync().exists("h5"), "the refused key is in no database of the node's redis-server");
            }

            // a sorted set's listpack corrupt inside, its checksum made right: redis-server checks it in depth
            byte[] corrupt = zset.dump().clone();
            corrupt[8] = (byte) 0xce;
            corrupt[20] = 0x14;
            corrupt[22] = 0x29;
            refused(fake, node, client, "redis-server refused", "h6",
                    key(0, "h6", stamp(6), DumpCatalog.resign(corrupt), "zset"));
            backend.sync().select(0);
            assertEquals("PONG", backend.sync().ping(), "the node's redis-server still runs");

            // a SnapshotEnd of the node's own origin leaves the node's position of its own log
            backend.sync().select(2 * MeshFixture.DATABASES);
            String own = backend.sync().hget("km:pos", node.nodeId());
            try (Socket s = fake.accept()) {
                snapshot(s, List.of(new LinkFrame.SnapshotEnd(node.nodeId(), 1 << 20)));
                awaitLastError(node, "own origin");
            }
            assertEquals(own, backend.sync().hget("km:pos", node.nodeId()));
        }
    }

    /**
     * Sends a snapshot of one valid key ("ok-" + name) and then {@code hostile}; the node must refuse
     * it with {@code reason}, having merged the valid key and nothing of the hostile one.
     */
    private void refused(ServerSocket fake, MeshNode node, RespSocket client, String reason, String name,
                         LinkFrame hostile) throws IOException {
        try (Socket s = fake.accept()) {
            snapshot(s, List.of(key(0, "ok-" + name, stamp(0), valid.dump()), hostile));
            awaitLastError(node, reason);
        }
        client.call("SELECT", "0");
        assertEquals(valid.content(), DumpCatalog.content(client, "ok-" + name), "the key before the refused one is merged");
        LinkFrame.SnapshotKey k = (LinkFrame.SnapshotKey) hostile;
        if (k.db() < MeshFixture.DATABASES) {
            client.call("SELECT", Integer.toString(k.db()));
            assertEquals(SnapshotCases.ABSENT, DumpCatalog.content(client, name), "nothing of the refused key " + name);
        }
        client.call("SELECT", "0");
    }

    private static DumpCatalog.Value first(DumpCatalog catalog, String type) {
        return catalog.values().stream().filter(v -> v.type().equals(type)).findFirst().orElseThrow();
    }

    private static String typeItem(DumpCatalog.Value v) {
        return List.of("hash", "set", "zset").contains(v.type()) ? v.type() : null;
    }

    private static String stamp(int logical) {
        return Stamp.of(Hlc.pack(System.currentTimeMillis() - 1000, logical), FAKE_ID);
    }

    /** A SnapshotKey of metadata {@code meta}, payload {@code dump} and the items after it (none when the first is null). */
    private static LinkFrame.SnapshotKey key(int db, String name, String meta, byte[] dump, String... more) {
        List<byte[]> items = new ArrayList<>(List.of(Pick.utf8(meta), dump));
        for (String m : more) {
            if (m != null) {
                items.add(Pick.utf8(m));
            }
        }
        return new LinkFrame.SnapshotKey(db, Pick.utf8(name), items);
    }

    /** Answers the node's PULL with a snapshot Sync and sends {@code frames}; returns the node's position of the fake origin. */
    private static long snapshot(Socket s, List<LinkFrame> frames) throws IOException {
        s.setSoTimeout((int) WAIT.toMillis());
        RespStreamReader in = new RespStreamReader(s.getInputStream(), RespParser.standard());
        long position = LinkHandshake.serve(in, s.getOutputStream(), FAKE_ID, MeshFixture.DATABASES, MeshFixture.SECRET,
                p -> new RespBytes().command(Frames.toArgs(new LinkFrame.Sync(LinkFrame.Sync.SNAPSHOT, FAKE_ID, p,
                        frames.size()))).bytes());
        for (LinkFrame f : frames) {
            write(s.getOutputStream(), f);
        }
        return position;
    }

    private static void write(OutputStream out, LinkFrame frame) throws IOException {
        out.write(new RespBytes().command(Frames.toArgs(frame)).bytes());
        out.flush();
    }

    private static String lastError(MeshNode node) {
        String line = node.info("replication").getOrDefault("peer0", "");
        int at = line.indexOf("last_error=");
        return at < 0 ? "" : line.substring(at + "last_error=".length());
    }

    private static void awaitLastError(MeshNode node, String text) {
        Await.until(WAIT, "the node refuses the frame (" + text + ")", () -> lastError(node).contains(text),
                () -> node.info("replication").toString());
    }
}
