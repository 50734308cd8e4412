package io.keymesh.proxy.tls;

import io.keymesh.proxy.it.KeymeshFixture;
import io.keymesh.proxy.mesh.Await;
import io.keymesh.proxy.server.TlsPeer;
import io.keymesh.proxy.testsupport.NodePackages;
import io.keymesh.proxy.testsupport.TestCertificates;
import io.keymesh.proxy.testsupport.Teardown;
import io.keymesh.topology.tls.NodeTls;
import io.keymesh.topology.tls.TlsSettings;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One node serving only TLS ({@code keymesh.port = 0}, {@code keymesh.tls.port} set, client
 * certificates required), its certificates made by openssl at test time: redis-cli --tls, Lettuce
 * and node-redis run commands over it; a client without a certificate, with one from another CA, or
 * speaking plain RESP is refused and counted in INFO; replacing the certificate files changes the
 * certificate new connections are served.
 */
class TlsClientPortIT {
    private static Path dir;
    private static TestCertificates ca;
    private static TestCertificates otherCa;
    private static TestCertificates.Issued server;
    private static TestCertificates.Issued client;
    private static KeymeshFixture fx;
    private static int tlsPort;
    private static ClientResources resources;
    private static final List<RedisClient> clients = new ArrayList<>();
    private static StatefulRedisConnection<String, String> admin;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("keymesh-tls-");
        ca = TestCertificates.newCa(dir, "main");
        otherCa = TestCertificates.newCa(dir, "other");
        TestCertificates.Issued first = ca.issue("server-1");
        Path cert = dir.resolve("server.crt");
        Path key = dir.resolve("server.key");
        Files.copy(first.cert(), cert);
        Files.copy(first.key(), key);
        server = new TestCertificates.Issued(cert, key, ca.caCert());
        client = ca.issue("client");
        tlsPort = KeymeshFixture.freePort();
        Map<String, Object> settings = new HashMap<>(server.settings());
        settings.put("keymesh.tls.port", tlsPort);
        settings.put("keymesh.tls.auth-clients", "yes");
        settings.put("keymesh.http.port", KeymeshFixture.freePort());
        fx = KeymeshFixture.start(settings);
        resources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1).build();
    }

    @AfterAll
    static void stop() {
        try {
            for (RedisClient c : clients) {
                c.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            if (fx != null) {
                fx.close();
            }
            if (resources != null) {
                resources.shutdown(0, 2, TimeUnit.SECONDS);
            }
        } finally {
            Teardown.deleteTree(dir);
        }
    }

    @Test
    void plainPortIsOffAndTheTlsPortIsTheClientPort() throws Exception {
        assertEquals(0, fx.port(), "keymesh.port = 0 with a TLS port: no plain port");
        assertEquals(tlsPort, fx.node().tlsPort());
        try (StatefulRedisConnection<String, String> c = lettuce(client)) {
            Map<String, String> info = info(c.sync().info("keymesh"));
            assertEquals(Integer.toString(tlsPort), info.get("tls_port"));
            assertEquals(Integer.toString(tlsPort), info.get("client_port"));
        }
    }

    @Test
    void redisCliRunsCommandsOverTls() throws Exception {
        Cli set = redisCli("--cert", client.cert().toString(), "--key", client.key().toString(), "SET", "cli:k", "tls value");
        assertEquals(0, set.exit(), set.output());
        assertEquals("OK", set.output().trim());
        Cli get = redisCli("--cert", client.cert().toString(), "--key", client.key().toString(), "GET", "cli:k");
        assertEquals("tls value", get.output().trim(), get.output());
    }

    @Test
    void lettuceConnectsWithTheTestCaAndItsCertificateAndIsMarkedVerified() {
        try (StatefulRedisConnection<String, String> c = lettuce(client)) {
            assertEquals("OK", c.sync().set("lettuce:k", "v1"));
            assertEquals("v1", c.sync().get("lettuce:k"));
            assertEquals(2L, c.sync().rpush("lettuce:list", "a", "b"));
            long id = c.sync().clientId();
            assertTrue(TlsPeer.verified(fx.node().context().sessions().get(id).channel()),
                    "the connection is marked as carrying a verified client certificate");
        }
    }

    @Test
    void clientsWithoutAVerifiedCertificateOrWithoutTlsAreRefusedAndCounted() throws Exception {
        long before = refusedClients();
        Cli noCert = redisCli("PING");
        assertTrue(!noCert.output().contains("PONG"), "a client without a certificate is refused: " + noCert.output());
        Await.until(Duration.ofSeconds(10), "refusal of the client without a certificate counted",
                () -> refusedClients() > before, () -> "tls_clients_refused " + refusedClients());

        long beforeOtherCa = refusedClients();
        TestCertificates.Issued stranger = otherCa.issue("stranger");
        Cli strangerRun = redisCli("--cert", stranger.cert().toString(), "--key", stranger.key().toString(), "PING");
        assertTrue(!strangerRun.output().contains("PONG"), "a certificate of another CA is refused: " + strangerRun.output());
        Await.until(Duration.ofSeconds(10), "refusal of the other CA's certificate counted",
                () -> refusedClients() > beforeOtherCa, () -> "tls_clients_refused " + refusedClients());

        long beforePlain = refusedClients();
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress("127.0.0.1", tlsPort), 5000);
            plain.setSoTimeout(10_000);
            plain.getOutputStream().write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = plain.getInputStream();
            byte[] reply = in.readNBytes(7);
            assertTrue(!new String(reply, StandardCharsets.US_ASCII).contains("PONG"), "plain RESP is not answered");
        } catch (IOException expected) {
            // the node closed the connection
        }
        Await.until(Duration.ofSeconds(10), "refusal of the plain-text client counted",
                () -> refusedClients() > beforePlain, () -> "tls_clients_refused " + refusedClients());

        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + fx.node().httpPort() + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        long exported = metrics.lines().filter(l -> l.startsWith("keymesh_tls_clients_refused_total "))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(-1);
        assertTrue(exported >= 3, "/metrics counts the refusals too:\n" + metrics);
    }

    @Test
    void nodeRedisConnectsOverTls() throws Exception {
        Path modules = NodePackages.install("node-redis", List.of("redis"));
        Path script = modules.resolve("keymesh-tls-check.js");
        Files.writeString(script, """
                const fs = require('fs');
                const { createClient } = require('redis');
                (async () => {
                  const [port, ca, cert, key] = process.argv.slice(2);
                  const client = createClient({ socket: { host: '127.0.0.1', port: Number(port), tls: true,
                      ca: fs.readFileSync(ca), cert: fs.readFileSync(cert), key: fs.readFileSync(key) } });
                  client.on('error', (e) => console.error('client error: ' + e));
                  await client.connect();
                  await client.set('node:tls', 'over tls');
                  console.log('value=' + await client.get('node:tls'));
                  await client.quit();
                })().catch((e) => { console.error('FAILED: ' + (e && e.stack || e)); process.exit(1); });
                """);
        NodePackages.Run run = NodePackages.run(modules, 60, List.of(NodePackages.onPath("node").toString(),
                script.toString(), Integer.toString(tlsPort), ca.caCert().toString(), client.cert().toString(),
                client.key().toString()));
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().lines().toList().contains("value=over tls"), run.output());
        try (StatefulRedisConnection<String, String> c = lettuce(client)) {
            assertEquals("over tls", c.sync().get("node:tls"));
        }
    }

    @Test
    void replacedCertificateFilesAreServedToNewConnections() throws Exception {
        try (StatefulRedisConnection<String, String> open = lettuce(client)) {
            String before = servedSubject();
            String name = "server-" + System.nanoTime();
            TestCertificates.Issued next = ca.issue(name);
            replace(next.key(), server.key());
            replace(next.cert(), server.cert());
            Await.until(Duration.ofSeconds(15), "new connections served the new certificate",
                    () -> servedSubject().equals("CN=" + name), TlsClientPortIT::servedSubject);
            assertNotEquals(before, "CN=" + name);
            assertTrue(Long.parseLong(info(open.sync().info("keymesh")).get("tls_certificate_reloads")) >= 1);
            assertEquals("PONG", open.sync().ping(), "a connection opened before the reload keeps working");
        }
    }

    @Test
    void aKeyThatIsNotTheCertificatesOrAnUnknownProtocolStopsTheStartWithTheReason() throws Exception {
        Map<String, Object> mismatched = new HashMap<>(server.settings());
        mismatched.put("keymesh.tls.key-file", client.key().toString());
        mismatched.put("keymesh.tls.port", KeymeshFixture.freePort());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> KeymeshFixture.start(mismatched).close());
        assertTrue(e.getMessage().contains("is not the private key of the certificate in " + server.cert()), e.getMessage());

        Map<String, Object> protocol = new HashMap<>(server.settings());
        protocol.put("keymesh.tls.port", KeymeshFixture.freePort());
        protocol.put("keymesh.tls.protocols", "TLSv1.3 TLSv9");
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> KeymeshFixture.start(protocol).close());
        assertTrue(e.getMessage().contains("keymesh.tls.protocols") && e.getMessage().contains("TLSv9"), e.getMessage());
    }

    @Test
    void optionalClientCertificatesAreVerifiedWhenGivenAndNotRequired() throws Exception {
        Map<String, Object> settings = new HashMap<>(server.settings());
        int port = KeymeshFixture.freePort();
        settings.put("keymesh.tls.port", port);
        settings.put("keymesh.tls.auth-clients", "optional");
        int plainPort = KeymeshFixture.freePort();
        settings.put("keymesh.port", plainPort);
        try (KeymeshFixture optional = KeymeshFixture.start(settings)) {
            assertEquals(plainPort, optional.port());
            List<String> tls = List.of("redis-cli", "--tls", "--cacert", ca.caCert().toString(), "-h", "127.0.0.1",
                    "-p", Integer.toString(port));
            Cli anonymous = run(concat(tls, "PING"));
            assertEquals("PONG", anonymous.output().trim(), "no certificate is fine with optional: " + anonymous.output());
            Cli verified = run(concat(tls, "--cert", client.cert().toString(), "--key", client.key().toString(), "PING"));
            assertEquals("PONG", verified.output().trim(), verified.output());
            TestCertificates.Issued stranger = otherCa.issue("stranger-optional");
            Cli refused = run(concat(tls, "--cert", stranger.cert().toString(), "--key", stranger.key().toString(), "PING"));
            assertTrue(!refused.output().contains("PONG"), "a certificate given is verified: " + refused.output());
            try (io.keymesh.proxy.it.RespSocket plain = optional.raw()) {
                assertEquals("PONG", plain.call("PING"), "the plain port serves next to the TLS port");
            }
        }
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> out = new ArrayList<>(head);
        out.addAll(List.of(tail));
        return out;
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static void replace(Path from, Path to) throws IOException {
        Path tmp = to.resolveSibling(to.getFileName() + ".new");
        Files.copy(from, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The subject of the certificate a fresh TLS connection to the node is served. */
    private static String servedSubject() {
        NodeTls tls = NodeTls.load(new TlsSettings(0, client.cert(), client.key(), ca.caCert(), TlsSettings.AuthClients.NO,
                List.of(), List.of(), true));
        try (SSLSocket s = (SSLSocket) tls.context().getSocketFactory().createSocket("127.0.0.1", tlsPort)) {
            s.setSoTimeout(5000);
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        } catch (IOException e) {
            return "handshake failed: " + e;
        }
    }

    private static StatefulRedisConnection<String, String> lettuce(TestCertificates.Issued as) {
        RedisURI uri = RedisURI.builder().withHost("127.0.0.1").withPort(tlsPort).withSsl(true).withVerifyPeer(true)
                .withTimeout(KeymeshFixture.TIMEOUT).build();
        RedisClient c = RedisClient.create(resources, uri);
        clients.add(c);
        c.setOptions(ClientOptions.builder().protocolVersion(ProtocolVersion.RESP3).sslOptions(SslOptions.builder()
                .jdkSslProvider().trustManager(ca.caCert().toFile()).keyManager(as.cert().toFile(), as.key().toFile(), null)
                .build()).build());
        return c.connect();
    }

    /** tls_clients_refused from INFO, over one connection kept for the class. */
    private static synchronized long refusedClients() {
        if (admin == null || !admin.isOpen()) {
            admin = lettuce(client);
        }
        return Long.parseLong(info(admin.sync().info("keymesh")).get("tls_clients_refused"));
    }

    private static Map<String, String> info(String text) {
        Map<String, String> out = new HashMap<>();
        for (String line : text.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("#")) {
                out.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return out;
    }

    private record Cli(int exit, String output) {
    }

    /** redis-cli --tls with the test CA against the TLS port, plus {@code args}; stdout and stderr together. */
    private static Cli redisCli(String... args) throws IOException, InterruptedException {
        return run(concat(List.of("redis-cli", "--tls", "--cacert", ca.caCert().toString(), "-h", "127.0.0.1", "-p",
                Integer.toString(tlsPort)), args));
    }

    private static Cli run(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "cli", ".out");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError(String.join(" ", command) + " did not finish within 30 s");
            }
            return new Cli(p.exitValue(), Files.readString(out));
        } finally {
            Teardown.stopProcess(p);
        }
    }
}
