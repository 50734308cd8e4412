package io.keymesh.proxy.tls;

import io.keymesh.proxy.it.KeymeshFixture;
import io.keymesh.proxy.mesh.Await;
import io.keymesh.proxy.mesh.MeshFixture;
import io.keymesh.proxy.mesh.MeshNode;
import io.keymesh.proxy.testsupport.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.keymesh.proxy.testsupport.Teardown;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nodes linked over mutual TLS ({@code keymesh.tls.replication = true}): the addresses in peers and
 * upstreams are the other nodes' TLS ports (through the fixture's relays), so nothing reaches another
 * node in plain text. Two primaries replicate both ways; a primary whose certificate comes from
 * another CA is refused by both sides and counted; a replica's health checks, link and forwarded
 * writes run over TLS.
 */
class TlsMeshIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static Path dir;
    private static TestCertificates ca;
    private static TestCertificates otherCa;

    @BeforeAll
    static void certificates() throws Exception {
        dir = Files.createTempDirectory("keymesh-tls-mesh-");
        ca = TestCertificates.newCa(dir, "mesh");
        otherCa = TestCertificates.newCa(dir, "rogue");
    }

    @AfterAll
    static void delete() {
        Teardown.deleteTree(dir);
    }

    /** TLS links for node {@code index} with {@code cert}: plain and TLS ports picked here, peers reached on TLS. */
    private static void tls(MeshFixture.Builder b, int index, TestCertificates.Issued cert) throws IOException {
        b.setting(index, "keymesh.port", KeymeshFixture.freePort());
        b.setting(index, "keymesh.tls.port", KeymeshFixture.freePort());
        b.setting(index, "keymesh.tls.replication", true);
        b.setting(index, "keymesh.tls.auth-clients", "yes");
        cert.settings().forEach((k, v) -> b.setting(index, k, v));
        // a check's budget holds a full TLS handshake too (the fixture's 200 ms is tight for one on a busy machine)
        b.setting(index, "keymesh.health-check.timeout", "1s");
    }

    /** Two primaries peered over TLS with these certificates. */
    private static MeshFixture primaries(TestCertificates.Issued first, TestCertificates.Issued second) throws IOException {
        MeshFixture.Builder b = MeshFixture.builder().nodes(2);
        tls(b, 0, first);
        tls(b, 1, second);
        return b.start();
    }

    @Test
    void twoPrimariesReplicateBothWaysOverMutualTls() throws Exception {
        try (MeshFixture mesh = primaries(ca.issue("node-a"), ca.issue("node-b"))) {
            MeshNode a = mesh.node(0);
            MeshNode c = mesh.node(1);
            a.sync().set("tls:from-a", "1");
            c.sync().set("tls:from-b", "2");
            Await.value(WAIT, c, "tls:from-a", "1");
            Await.value(WAIT, a, "tls:from-b", "2");
            mesh.awaitConverged(WAIT);
            for (MeshNode n : mesh.nodes()) {
                Map<String, String> info = n.info("keymesh");
                assertEquals("yes", info.get("tls_replication"), n + ": " + info);
                assertEquals("0", info.get("tls_clients_refused"), n + ": " + info);
                assertEquals("0", info.get("tls_servers_refused"), n + ": " + info);
            }
        }
    }

    @Test
    void aNodeWithACertificateFromAnotherCaIsRefusedAndCounted() throws Exception {
        try (MeshFixture mesh = primaries(ca.issue("trusted"), otherCa.issue("rogue"))) {
            MeshNode trusted = mesh.node(0);
            MeshNode rogue = mesh.node(1);
            Await.until(WAIT, "the trusted node refused the rogue's certificate, as client and as server",
                    () -> count(trusted, "tls_clients_refused") > 0 && count(trusted, "tls_servers_refused") > 0,
                    () -> trusted.sync().info("keymesh"));
            Await.until(WAIT, "the rogue node refused the trusted node's certificate",
                    () -> count(rogue, "tls_servers_refused") > 0, () -> rogue.sync().info("keymesh"));
            trusted.sync().set("secret:k", "stays home");
            rogue.sync().set("rogue:k", "not accepted");
            long refusedBefore = count(trusted, "tls_clients_refused");
            long refusedOutBefore = count(trusted, "tls_servers_refused");
            Await.until(WAIT, "both links tried again after the writes and were refused again",
                    () -> count(trusted, "tls_clients_refused") > refusedBefore
                            && count(trusted, "tls_servers_refused") > refusedOutBefore,
                    () -> trusted.sync().info("keymesh"));
            assertNull(rogue.sync().get("secret:k"), "nothing crossed to the rogue node");
            assertNull(trusted.sync().get("rogue:k"), "nothing crossed from the rogue node");
            String peers = trusted.sync().info("replication");
            assertTrue(peers.contains("TLS handshake"), "the link's last error says why: " + peers);
        }
    }

    @Test
    void aReplicaChecksLinksAndForwardsWritesOverTls() throws Exception {
        MeshFixture.Builder b = MeshFixture.builder().nodes(1).replicas(1)
                .setting(1, "keymesh.replica.write-policy", "forward");
        tls(b, 0, ca.issue("primary"));
        tls(b, 1, ca.issue("replica"));
        try (MeshFixture mesh = b.start()) {
            MeshNode primary = mesh.node(0);
            MeshNode replica = mesh.replica(0);
            primary.sync().set("tls:replicated", "yes");
            Await.value(WAIT, replica, "tls:replicated", "yes");
            Map<String, String> repl = replica.info("replication");
            assertEquals("up", repl.get("master_link_status"), repl.toString());
            assertTrue(repl.get("upstream0").contains("health=up"), "the health check over TLS passes: " + repl);
            assertEquals("OK", replica.sync().set("tls:forwarded", "via the primary"));
            assertEquals("via the primary", primary.sync().get("tls:forwarded"));
            assertEquals(0, count(primary, "tls_clients_refused"), "no check, link or forward reached the primary "
                    + "without TLS: " + primary.sync().info("keymesh"));
        }
    }

    private static long count(MeshNode n, String field) {
        return Long.parseLong(n.info("keymesh").get(field));
    }
}
