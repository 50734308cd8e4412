package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.it.RespSocket;
import io.lettuce.core.api.StatefulRedisConnection;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * What an operator reads from a two-primary mesh: /metrics in the Prometheus text format (latency
 * histograms per command class, clients, links), INFO latencystats and LATENCY HISTOGRAM answered
 * from keymesh's own histograms.
 */
class MetricsIT extends MeshTest {
    private static final Duration SCRAPE = Duration.ofSeconds(20);
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void metricsShowCommandLatencyClientsAndLinksAndRedisToolsSeeKeymeshLatency() throws Exception {
        mesh = MeshFixture.builder().nodes(2)
                .setting(0, "keymesh.http.port", freePort())
                .setting(1, "keymesh.http.port", freePort())
                .start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        int httpA = a.keymesh().httpPort();
        int httpB = b.keymesh().httpPort();
        assertTrue(httpA > 0 && httpB > 0, "both nodes serve HTTP");

        HttpResponse<String> first = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpA + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, first.statusCode());
        assertTrue(first.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
                "Prometheus text format: " + first.headers().map());

        Await.until(SCRAPE, "a's link from b streams",
                () -> value(scrape(httpA), "keymesh_link_state", "state=\"streaming\"") == 1.0, () -> safeScrape(httpA));
        Map<String, Double> before = scrape(httpA);
        double readsBefore = value(before, "keymesh_command_latency_seconds_count", "class=\"read\"");
        double writesBefore = value(before, "keymesh_command_latency_seconds_count", "class=\"replicated_write\"");
        double receivedAtB = value(scrape(httpB), "keymesh_link_received_entries_total", "");

        int gets = 25;
        int sets = 12;
        try (RespSocket client = new RespSocket(a.port(), Duration.ofSeconds(10))) {
            for (int i = 0; i < sets; i++) {
                assertEquals("OK", client.call("SET", "metrics:" + i, "v" + i));
            }
            for (int i = 0; i < gets; i++) {
                assertEquals("v" + (i % sets), client.call("GET", "metrics:" + (i % sets)));
            }

            Map<String, Double> after = scrape(httpA);
            assertEquals(readsBefore + gets, value(after, "keymesh_command_latency_seconds_count", "class=\"read\""),
                    "every GET is in the read class's histogram once its reply is written");
            assertEquals(writesBefore + sets, value(after, "keymesh_command_latency_seconds_count", "class=\"replicated_write\""));
            assertEquals(value(after, "keymesh_command_latency_seconds_count", "class=\"read\""),
                    value(after, "keymesh_command_latency_seconds_bucket", "class=\"read\",le=\"+Inf\""));
            assertTrue(value(after, "keymesh_backend_call_latency_seconds_count", "") >= gets + sets);
            assertTrue(value(after, "keymesh_client_read_bytes_total", "") > 0);
            assertTrue(value(after, "keymesh_client_written_bytes_total", "") > 0);
            assertTrue(value(after, "keymesh_link_up", "") == 1.0, "a's link from b is up");
            assertTrue(after.keySet().stream().anyMatch(k -> k.startsWith("keymesh_link_lag_seconds{peer=")),
                    "lag per link: " + after.keySet());
            assertTrue(after.keySet().stream().anyMatch(k -> k.startsWith("keymesh_link_lag_entries{peer=")));

            Await.until(SCRAPE, "b received and applied a's writes",
                    () -> value(scrape(httpB), "keymesh_link_received_entries_total", "") >= receivedAtB + sets,
                    () -> safeScrape(httpB));
            Await.until(SCRAPE, "a sent its writes to b and b acknowledged them",
                    () -> value(scrape(httpA), "keymesh_link_acked_seq", "role=\"peer\"") >= sets,
                    () -> safeScrape(httpA));
            Await.until(SCRAPE, "a's memory watch reports the metadata of its keys",
                    () -> value(scrape(httpA), "keymesh_memory_metadata_bytes", "") > 0, () -> safeScrape(httpA));
            Map<String, Double> memory = scrape(httpA);
            assertEquals(0.0, value(memory, "keymesh_memory_max_bytes", ""), "no keymesh.maxmemory");
            assertEquals(0.0, value(memory, "keymesh_memory_oom", ""));
            assertTrue(value(memory, "keymesh_memory_user_bytes", "") > 0 && value(memory, "keymesh_memory_log_bytes", "") > 0,
                    "user data and log: " + memory);
            Await.until(SCRAPE, "a's housekeeping reports its log",
                    () -> value(scrape(httpA), "keymesh_log_head_seq", "origin=\"" + a.nodeId() + "\"") >= sets,
                    () -> safeScrape(httpA));

            String stats = client.call("INFO", "latencystats").toString();
            assertTrue(stats.startsWith("# Latencystats\r\n"), stats);
            Pattern line = Pattern.compile("(?m)^latency_percentiles_usec_%s:p50=\\d+\\.\\d{3},p99=\\d+\\.\\d{3},p99\\.9=\\d+\\.\\d{3}$");
            assertTrue(Pattern.compile(line.pattern().replace("%s", "get")).matcher(stats).find(), stats);
            assertTrue(Pattern.compile(line.pattern().replace("%s", "set")).matcher(stats).find(), stats);

            Object histogram = client.call("LATENCY", "HISTOGRAM", "get");
            List<?> top = (List<?>) histogram;
            assertEquals(2, top.size(), "one command: " + top);
            assertEquals("get", top.get(0));
            List<?> body = (List<?>) top.get(1);
            assertEquals("calls", body.get(0));
            assertEquals((long) gets, body.get(1), "calls = the GETs sent");
            assertEquals("histogram_usec", body.get(2));
            List<?> buckets = (List<?>) body.get(3);
            assertTrue(buckets.size() >= 2 && buckets.size() % 2 == 0, buckets.toString());
            long previousBound = 0;
            long previousCount = 0;
            for (int i = 0; i < buckets.size(); i += 2) {
                long bound = (Long) buckets.get(i);
                long count = (Long) buckets.get(i + 1);
                assertTrue(bound > previousBound && count > previousCount, "bounds and cumulative counts grow: " + buckets);
                previousBound = bound;
                previousCount = count;
            }
            assertEquals((long) gets, previousCount, "the last bucket counts every call");
            assertEquals(List.of(), client.call("LATENCY", "HISTOGRAM", "nosuchcommand"), "unknown names are left out");
        }

        List<StatefulRedisConnection<String, String>> extra = new ArrayList<>();
        try (StatefulRedisConnection<String, String> probe = a.connect()) {
            // the socket closed above may still be leaving: count from the moment the node lists only live sessions
            Await.until(SCRAPE, "the gauge counts the sessions CLIENT LIST shows",
                    () -> value(scrape(httpA), "keymesh_clients_connected", "") == probe.sync().clientList().lines().count(),
                    () -> safeScrape(httpA));
            double connected = value(scrape(httpA), "keymesh_clients_connected", "");
            for (int i = 0; i < 3; i++) {
                StatefulRedisConnection<String, String> c = a.connect();
                c.sync().ping();
                extra.add(c);
            }
            assertEquals(connected + 3, value(scrape(httpA), "keymesh_clients_connected", ""));
            extra.forEach(StatefulRedisConnection::close);
            Await.until(SCRAPE, "closed clients leave the gauge",
                    () -> value(scrape(httpA), "keymesh_clients_connected", "") == connected, () -> safeScrape(httpA));
        } finally {
            extra.forEach(StatefulRedisConnection::close);
        }
    }

    @Test
    void aReplicasMetricsShowItsUpstreamsHealthAndItsFailover() throws Exception {
        mesh = MeshFixture.builder().nodes(2).replicas(1)
                .setting(0, "keymesh.http.port", freePort())
                .setting(1, "keymesh.http.port", freePort())
                .setting(2, "keymesh.http.port", freePort())
                .start();
        MeshNode replica = mesh.replica(0);
        int httpR = replica.keymesh().httpPort();
        Await.until(SCRAPE, "both upstreams checked up and the replica's link streams", () -> {
            Map<String, Double> m = scrape(httpR);
            return value(m, "keymesh_replica_upstream_health", "state=\"up\"") == 2
                    && value(m, "keymesh_replica_upstream_followed", "") == 1
                    && value(m, "keymesh_replica_link_up", "") == 1;
        }, () -> safeScrape(httpR));
        String followed = scrape(httpR).entrySet().stream()
                .filter(e -> e.getKey().startsWith("keymesh_replica_upstream_followed{") && e.getValue() == 1)
                .map(e -> e.getKey().replaceAll(".*upstream=\"([^\"]+)\".*", "$1"))
                .findFirst().orElseThrow();
        assertEquals(0.0, value(scrape(httpR), "keymesh_replica_failovers_total", ""));
        Await.until(SCRAPE, "a primary serves the replica",
                () -> mesh.primaries().stream().anyMatch(n -> !n.keymesh().mesh().replicas().isEmpty()), () -> "none");
        MeshNode serving = mesh.primaries().stream().filter(n -> !n.keymesh().mesh().replicas().isEmpty())
                .findFirst().orElseThrow();           // the upstreams are reached through the fixture's relays
        int httpServing = serving.keymesh().httpPort();
        Await.until(SCRAPE, "the followed primary lists the replica it serves",
                () -> scrape(httpServing).keySet().stream().anyMatch(k -> k.startsWith("keymesh_link_acked_seq{")
                        && k.contains("role=\"replica\"")),
                () -> safeScrape(httpServing));

        MeshNode stopped = serving;
        mesh.stop(stopped);
        Await.until(SCRAPE, "the replica failed over and reports its old upstream down", () -> {
            Map<String, Double> m = scrape(httpR);
            return value(m, "keymesh_replica_failovers_total", "") >= 1
                    && value(m, "keymesh_replica_upstream_health", "state=\"down\",upstream=\"" + followed + "\"") == 1
                    && value(m, "keymesh_replica_upstream_followed", "upstream=\"" + followed + "\"") == 0
                    && value(m, "keymesh_replica_upstream_followed", "") == 1;
        }, () -> safeScrape(httpR));
    }

    @Test
    void noHttpEndpointUnlessAPortIsSet() {
        mesh = MeshFixture.start(1);
        assertEquals(0, mesh.node(0).keymesh().httpPort());
    }

    private Map<String, Double> scrape(int port) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            return parse(r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String safeScrape(int port) {
        try {
            return scrape(port).toString();
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    /** The text format's samples: "name{labels}" (or "name") to value. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
        }
        return out;
    }

    /** The sum of the samples of {@code name} whose labels contain {@code labels} (0 when none). */
    static double value(Map<String, Double> samples, String name, String labels) {
        double sum = 0;
        for (Map.Entry<String, Double> e : samples.entrySet()) {
            String key = e.getKey();
            if ((key.equals(name) || key.startsWith(name + "{")) && key.contains(labels)) {
                sum += e.getValue();
            }
        }
        return sum;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
