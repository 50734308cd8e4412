package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket;
import io.keymesh.topology.wire.Hello;
import io.keymesh.topology.wire.PeerAuth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

/**
 * Link authentication as an operator and an attacker on the wire see it: both ends prove the cluster
 * secret and it never crosses the wire, a node that cannot prove it is refused by the puller and by
 * the serving side (counted in INFO), a replica with the secret follows a primary with requirepass,
 * and without a secret KEYMESH subcommands answer NOAUTH until the client's AUTH.
 */
class LinkAuthIT extends MeshTest {
    private static final Duration READ = Duration.ofSeconds(5);
    private static final String CLIENT_ID = "0badf00d";

    @Test
    void bothEndsProveTheSecretAndTheSecretNeverCrossesTheWire() throws Exception {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        CuttableRelay aFromB = mesh.relay(a, b);
        CuttableRelay bFromA = mesh.relay(b, a);
        aFromB.record(1 << 20);
        bFromA.record(1 << 20);
        mesh.cut(a, b);                  // both links reconnect through the recording relays
        mesh.heal(a, b);
        b.sync().set("from-b", "value-b");
        a.sync().set("from-a", "value-a");
        Await.value(CONVERGE, a, "from-b", "value-b");
        Await.value(CONVERGE, b, "from-a", "value-a");
        for (CuttableRelay relay : new CuttableRelay[] {aFromB, bFromA}) {
            String wire = new String(relay.recorded(), StandardCharsets.ISO_8859_1);
            assertTrue(wire.contains("KEYMESH") && wire.contains("HELLO") && wire.contains("AUTH") && wire.contains("PULL"),
                    "the relay saw a whole handshake: " + relay);
            assertTrue(wire.contains("value-a") || wire.contains("value-b"), "and the data that followed: " + relay);
            assertFalse(wire.contains(MeshFixture.SECRET), "the cluster secret crossed the wire on " + relay);
            assertFalse(wire.contains(HexFormat.of().formatHex(MeshFixture.SECRET.getBytes(StandardCharsets.UTF_8))),
                    "the cluster secret crossed the wire in hex on " + relay);
        }
        for (MeshNode n : mesh.nodes()) {
            assertEquals("0", n.info("replication").get("mesh_secret_refusals"), n.info("replication").toString());
        }
    }

    @Test
    void thePullerRefusesANodeThatAnswersWithoutAValidProof() throws Exception {
        mesh = MeshFixture.builder().nodes(2).stopped(1).start();
        MeshNode a = mesh.node(0);
        // a node with no secret, then one that replays a proof made for another connection's nonce
        List<Function<String, String>> proofs = List.of(
                clientNonce -> "",
                clientNonce -> PeerAuth.serverProof(MeshFixture.SECRET, PeerAuth.nonce(), PeerAuth.nonce(), FakeNode.ID, a.nodeId()));
        long refusals = 0;
        for (Function<String, String> proof : proofs) {
            try (FakeNode fake = new FakeNode(proof)) {
                mesh.relay(a, mesh.node(1)).target(fake.port());
                long before = refusals;
                Await.until(CONVERGE, "A refuses the fake node", () -> fake.hellos() >= 1
                        && Long.parseLong(a.info("replication").get("mesh_secret_refusals")) >= before + 1,
                        () -> a.info("replication").toString());
                Map<String, String> info = a.info("replication");
                refusals = Long.parseLong(info.get("mesh_secret_refusals"));
                // the refused link tries again after its backoff, so its state may already read "connecting"
                assertTrue(info.get("peer0").contains("last_error=peer ")
                        && info.get("peer0").contains("could not prove the cluster secret"), info.get("peer0"));
                assertTrue(info.get("mesh_last_refusal").contains("node " + FakeNode.ID + ") could not prove the cluster secret"),
                        info.get("mesh_last_refusal"));
                String received = fake.received();
                assertTrue(received.contains("HELLO"), received);
                assertFalse(received.contains("AUTH") || received.contains("PULL"),
                        "the puller went on with a node that did not prove the secret: " + received);
                assertFalse(received.contains(MeshFixture.SECRET), received);
            }
        }
    }

    @Test
    void theServingNodeRefusesAWrongOrMissingProofAndAcceptsARightOne() throws Exception {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        try (RespSocket s = new RespSocket(a.port(), READ)) {
            String clientNonce = PeerAuth.nonce();
            List<?> hello = (List<?>) s.call(hello(clientNonce));
            assertEquals(5, hello.size(), hello.toString());
            assertEquals(a.nodeId(), hello.get(0));
            String serverNonce = (String) hello.get(3);
            assertEquals(PeerAuth.serverProof(MeshFixture.SECRET, clientNonce, serverNonce, a.nodeId(), CLIENT_ID),
                    hello.get(4), "the serving node proves the secret for this connection's nonce");
            Object pull = s.call("KEYMESH", "PULL", "peer", a.nodeId(), "0");
            assertInstanceOf(RespSocket.Err.class, pull);
            assertTrue(((RespSocket.Err) pull).message().startsWith("NOAUTH") && ((RespSocket.Err) pull).message()
                    .contains("KEYMESH AUTH"), pull.toString());
            assertTrue(s.silentFor(Duration.ofMillis(300)), "no data after the refusal");
            Object wrong = s.call("KEYMESH", "AUTH", PeerAuth.clientProof("not-the-secret", serverNonce, clientNonce,
                    CLIENT_ID, a.nodeId()));
            assertEquals(new RespSocket.Err("ERR keymesh: wrong cluster secret proof (keymesh.cluster-secret differs)"), wrong);
            assertTrue(s.closedByPeer(READ), "a wrong proof closes the connection");
        }
        Map<String, String> info = a.info("replication");
        assertEquals("2", info.get("mesh_secret_refusals"), info.toString());
        assertTrue(info.get("mesh_last_refusal").contains("node " + CLIENT_ID + " at 127.0.0.1:1: wrong cluster secret proof"),
                info.toString());

        try (RespSocket s = new RespSocket(a.port(), READ)) {
            String clientNonce = PeerAuth.nonce();
            List<?> hello = (List<?>) s.call(hello(clientNonce));
            String proof = PeerAuth.clientProof(MeshFixture.SECRET, (String) hello.get(3), clientNonce, CLIENT_ID, a.nodeId());
            assertEquals("OK", s.call("KEYMESH", "AUTH", proof));
            Object sync = s.call("KEYMESH", "PULL", "peer", a.nodeId(), "0");
            assertTrue(sync instanceof List<?> l && "SYNC".equals(l.get(0)), "a proven puller is served: " + sync);
        }
    }

    @Test
    void aReplicaWithTheSecretFollowsAPrimaryWithRequirepass() throws Exception {
        mesh = MeshFixture.builder().nodes(1).replicas(1).setting("keymesh.requirepass", "client-password").stopped(1).start();
        MeshNode primary = mesh.node(0);
        MeshNode replica = mesh.replica(0);
        CuttableRelay link = mesh.relay(replica, primary);
        link.record(1 << 20);
        mesh.start(replica);
        primary.sync().set("k", "v");
        Await.value(CONVERGE, replica, "k", "v");
        Await.until(CONVERGE, "the replica's link is up", () -> "up".equals(replica.info("replication").get("master_link_status")),
                () -> replica.info("replication").toString());
        String wire = new String(link.recorded(), StandardCharsets.ISO_8859_1);
        assertTrue(wire.contains("HELLO") && wire.contains("AUTH"), "the relay saw the replica's handshake");
        assertFalse(wire.contains(MeshFixture.SECRET), "the cluster secret crossed the wire");
        try (RespSocket s = new RespSocket(primary.port(), READ)) {
            String clientNonce = PeerAuth.nonce();
            assertInstanceOf(List.class, s.call(hello(clientNonce)), "HELLO starts the proof, before any client AUTH");
            Object pull = s.call("KEYMESH", "PULL", "replica");
            assertTrue(pull instanceof RespSocket.Err e && e.message().startsWith("NOAUTH"), String.valueOf(pull));
            assertTrue(s.silentFor(Duration.ofMillis(300)), "no data after the refusal");
            assertEquals(new RespSocket.Err("NOAUTH Authentication required."), s.call("KEYMESH", "PEERS"));
        }
        try (RespSocket s = new RespSocket(primary.port(), READ)) {
            String clientNonce = PeerAuth.nonce();
            List<?> hello = (List<?>) s.call(hello(clientNonce));
            assertEquals("OK", s.call("KEYMESH", "AUTH", PeerAuth.clientProof(MeshFixture.SECRET, (String) hello.get(3),
                    clientNonce, CLIENT_ID, primary.nodeId())));
            List<String> pull = new ArrayList<>(List.of("KEYMESH", "PULL", "replica"));
            for (int i = 0; i < 6; i++) {             // more arguments than a client may send before AUTH
                pull.add(String.format("%08x", i + 1));
                pull.add("0");
            }
            Object sync = s.call(pull.toArray(String[]::new));
            assertTrue(sync instanceof List<?> l && "SYNC".equals(l.get(0)), "a proven replica is served: " + sync);
        }
    }

    @Test
    void aReplicaRefusesAnUpstreamThatCannotProveItsSecret() {
        mesh = MeshFixture.builder().nodes(1).replicas(1).clusterSecret(1, "another-secret-of-the-replica").start();
        MeshNode primary = mesh.node(0);
        MeshNode replica = mesh.replica(0);
        primary.sync().set("k", "v");
        Await.until(CONVERGE, "the replica refuses its upstream and says why", () -> {
            Map<String, String> info = replica.info("replication");
            return info.get("upstream_last_error").contains("could not prove the cluster secret")
                    && Long.parseLong(info.get("mesh_secret_refusals")) >= 1
                    && info.get("mesh_last_refusal").startsWith("upstream ");
        }, () -> replica.info("replication").toString());
        assertEquals("down", replica.info("replication").get("master_link_status"));
        assertEquals(null, replica.sync().get("k"), "nothing was pulled from an unproven upstream");
    }

    @Test
    void withoutASecretKeymeshSubcommandsAnswerNoauthUntilTheClientsAuth() throws Exception {
        mesh = MeshFixture.builder().nodes(2).setting("keymesh.cluster-secret", "")
                .setting("keymesh.requirepass", "client-password").start();
        MeshNode a = mesh.node(0);
        a.sync().set("k", "secret data");
        RespSocket.Err noauth = new RespSocket.Err("NOAUTH Authentication required.");
        try (RespSocket s = new RespSocket(a.port(), READ)) {
            assertEquals(noauth, s.call(hello(PeerAuth.nonce())));
            assertEquals(noauth, s.call("KEYMESH", "PULL", "peer", a.nodeId(), "0"));
            assertEquals(noauth, s.call("KEYMESH", "PULL", "replica"));
            assertEquals(noauth, s.call("KEYMESH", "AUTH", "00"));
            for (String sub : new String[] {"PEERS", "STATUS", "POS"}) {
                assertEquals(noauth, s.call("KEYMESH", sub), sub);
            }
            assertTrue(s.silentFor(Duration.ofMillis(300)), "no data");
            assertEquals("OK", s.call("AUTH", "client-password"));
            List<?> hello = (List<?>) s.call(hello(PeerAuth.nonce()));
            assertEquals("", hello.get(4), "no secret: no proof");
            Object sync = s.call("KEYMESH", "PULL", "peer", a.nodeId(), "0");
            assertTrue(sync instanceof List<?> l && "SYNC".equals(l.get(0)), "after AUTH the pull is served: " + sync);
        }
        Await.until(CONVERGE, "B says why it cannot link", () -> {
            String peer = mesh.node(1).info("replication").get("peer0");
            return peer.contains("state=refused") && peer.contains("requires authentication")
                    && peer.contains("keymesh.cluster-secret");
        }, () -> mesh.node(1).info("replication").toString());
    }

    private static String[] hello(String clientNonce) {
        String stamp = String.format("%016x", System.currentTimeMillis() << 16) + CLIENT_ID;
        return new String[] {"KEYMESH", "HELLO", CLIENT_ID, "primary", "127.0.0.1:1", stamp, Integer.toString(Hello.LOG_FORMAT), clientNonce};
    }

    /**
     * A node on the wire that answers KEYMESH HELLO with a proof of its choosing (given the puller's
     * nonce) and keeps whatever the puller sends afterwards.
     */
    private static final class FakeNode implements AutoCloseable {
        static final String ID = "00000fa4";
        private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Function<String, String> proof;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final AtomicInteger hellos = new AtomicInteger();
        private final List<Socket> sockets = new ArrayList<>();
        private final Thread thread;

        FakeNode(Function<String, String> proof) throws IOException {
            this.proof = proof;
            this.thread = new Thread(this::serve, "fake-node");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        int hellos() {
            return hellos.get();
        }

        String received() {
            synchronized (received) {
                return received.toString(StandardCharsets.ISO_8859_1);
            }
        }

        private void serve() {
            while (!listener.isClosed()) {
                try (Socket s = listener.accept()) {
                    synchronized (sockets) {
                        sockets.add(s);
                    }
                    s.setSoTimeout(1000);
                    InputStream in = s.getInputStream();
                    List<String> args = readCommand(in);
                    String nonce = args.size() == 8 ? args.get(7) : "";
                    hellos.incrementAndGet();
                    String stamp = String.format("%016x", System.currentTimeMillis() << 16) + ID;
                    OutputStream out = s.getOutputStream();
                    out.write(RespSocket.encode(ID, stamp, Integer.toString(MeshFixture.DATABASES), PeerAuth.nonce(),
                            proof.apply(nonce)));
                    out.flush();
                    byte[] buf = new byte[4096];
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        keep(buf, n);
                    }
                } catch (IOException e) {
                    // the puller hung up, the read timed out, or the fake is closing
                }
            }
        }

        /** Reads one RESP array of bulk strings, keeping its bytes. */
        private List<String> readCommand(InputStream in) throws IOException {
            int count = Integer.parseInt(line(in).substring(1));
            List<String> args = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int len = Integer.parseInt(line(in).substring(1));
                byte[] b = in.readNBytes(len + 2);
                keep(b, b.length);
                args.add(new String(b, 0, len, StandardCharsets.UTF_8));
            }
            return args;
        }

        private String line(InputStream in) throws IOException {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                if (c != '\r') {
                    sb.append((char) c);
                }
            }
            keep((sb + "\r\n").getBytes(StandardCharsets.ISO_8859_1), sb.length() + 2);
            return sb.toString();
        }

        private void keep(byte[] b, int n) {
            synchronized (received) {
                received.write(b, 0, n);
            }
        }

        @Override
        public void close() throws Exception {
            listener.close();
            synchronized (sockets) {
                for (Socket s : sockets) {
                    s.close();
                }
            }
            thread.join(5000);
        }
    }
}
