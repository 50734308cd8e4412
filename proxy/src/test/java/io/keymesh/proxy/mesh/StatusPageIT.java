package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keymesh.proxy.testsupport.HeadlessChromium;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

/**
 * The live status page in a real headless Chromium (Debian's package): a two-primary mesh with its
 * link up, the link shown down within the health-check interval after it is cut, and up again once
 * healed, all in one page load that keeps updating. Screenshots go to target/status-page/.
 */
class StatusPageIT extends MeshTest {
    private static final Path SHOTS = Path.of("target", "status-page");
    /** Health-check interval of the fixture (inter x fall), plus one poll of the page (1 s) and its render. */
    private static final Duration SHOWN_DOWN_WITHIN =
            Duration.ofMillis(MeshFixture.HEALTH_INTER_MILLIS * MeshFixture.HEALTH_FALL + 1000 + 500);
    /** The link's badge on the page: "up", "syncing" or "down", or "" while no row is drawn. */
    private static final String LINK_BADGE =
            "JSON.stringify([...document.querySelectorAll('#links tbody tr')].map(r => r.cells[1].textContent + '=' "
                    + "+ r.querySelector('.link-state').dataset.state))";
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void pageShowsTheLinkUpThenDownWithinTheHealthCheckIntervalAfterACutWithoutReloading() throws Exception {
        assumeTrue(HeadlessChromium.binary().isPresent(),
                "needs Debian's chromium package (bin/setup --test installs it as root)");
        mesh = MeshFixture.builder().nodes(2).replicas(1)
                .setting(0, "keymesh.http.port", freePort())
                .setting(1, "keymesh.http.port", freePort())
                .setting(2, "keymesh.http.port", freePort())
                .setting(2, "keymesh.replica.prefer-first", true)
                .start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        MeshNode r = mesh.replica(0);
        String base = "http://127.0.0.1:" + a.keymesh().httpPort();

        HttpResponse<String> page = get(base + "/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertTrue(!page.body().contains("http://") && !page.body().contains("https://") && !page.body().contains("//cdn"),
                "everything comes from the jar:\n" + page.body());
        assertEquals(200, get(base + "/status.js").statusCode());
        assertEquals(404, get(base + "/nothing-here").statusCode());
        String json = get(base + "/status.json").body();
        assertTrue(json.contains("\"role\":\"primary\"") && json.contains("\"id\":\"" + a.nodeId() + "\""), json);

        for (int i = 0; i < 200; i++) {
            b.sync().set("page:" + i, "v" + i);     // entries for the throughput and lag columns
        }
        Await.value(CONVERGE, a, "page:199", "v199");

        String upBadge = "[\"" + b.nodeId() + "=up\"]";
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread writer = new Thread(() -> {      // a steady trickle, so the page shows throughput
            for (int i = 0; writing.get(); i++) {
                b.sync().set("trickle", Integer.toString(i));
                Await.sleep(10);
            }
        }, "status-page-writer");
        writer.start();
        try (HeadlessChromium browser = HeadlessChromium.open(base + "/", 1280, 900)) {
            Await.until(Duration.ofSeconds(20), "the page shows the link from b up",
                    () -> badges(browser).equals(upBadge), () -> badges(browser));
            assertEquals(a.nodeId(), eval(browser, "document.getElementById('node-id').textContent"));
            assertEquals("primary", eval(browser, "document.getElementById('node-role').textContent"));
            Await.until(Duration.ofSeconds(20), "the page shows the replica following a",
                    () -> eval(browser, "[...document.querySelectorAll('#replicas tbody tr')].map(t => t.cells[1].textContent"
                            + " + '=' + t.cells[2].textContent).join()").equals(r.nodeId() + "=streaming"),
                    () -> eval(browser, "document.getElementById('replicas').outerHTML"));
            browser.evaluate("window.keymeshTestMark = 'same page'; 'ok'");
            int updates = updates(browser);
            Await.until(Duration.ofSeconds(10), "the page updates itself", () -> updates(browser) >= updates + 2,
                    () -> "updates " + updates(browser));
            assertTrue(eval(browser, "document.querySelector('#chart polyline').getAttribute('points')").contains(","),
                    "the lag chart has points");
            Await.until(Duration.ofSeconds(10), "the page shows entries flowing in",
                    () -> Double.parseDouble(eval(browser, "document.querySelector('#links tbody tr').cells[6].textContent")) > 0,
                    () -> eval(browser, "document.getElementById('links').outerHTML"));
            browser.screenshot(SHOTS.resolve("mesh-up.png"));
            writing.set(false);
            writer.join(10_000);

            long cut = System.nanoTime();
            mesh.cut(a, b);
            Await.until(SHOWN_DOWN_WITHIN, "the page shows the link from b down",
                    () -> badges(browser).equals("[\"" + b.nodeId() + "=down\"]"), () -> badges(browser));
            long shownMillis = (System.nanoTime() - cut) / 1_000_000;
            browser.screenshot(SHOTS.resolve("mesh-down.png"));
            assertEquals("same page", eval(browser, "window.keymeshTestMark"), "shown live, without a reload");

            mesh.heal(a, b);
            Await.until(Duration.ofSeconds(20), "the page shows the link from b up again",
                    () -> badges(browser).equals(upBadge), () -> badges(browser));
            assertEquals("same page", eval(browser, "window.keymeshTestMark"));
            Files.writeString(SHOTS.resolve("shown-down-after-ms.txt"), shownMillis + "\n");

            // the replica's own page: each upstream with its health check, the one followed
            browser.navigate("http://127.0.0.1:" + r.keymesh().httpPort() + "/");
            String upstreams = "JSON.stringify([...document.querySelectorAll('#upstreams tbody tr')].map(t => "
                    + "t.cells[1].textContent + '/' + t.cells[2].textContent))";
            Await.until(Duration.ofSeconds(20), "the replica's page shows both upstreams up, a followed",
                    () -> eval(browser, upstreams).equals("[\"up/yes\",\"up/\"]"), () -> eval(browser, upstreams));
            Await.until(Duration.ofSeconds(10), "the replica's lag chart has a few points",
                    () -> eval(browser, "document.querySelector('#chart polyline').getAttribute('points')").split(" ").length >= 3,
                    () -> eval(browser, "document.getElementById('chart').outerHTML"));
            assertEquals("replica", eval(browser, "document.getElementById('node-role').textContent"));
            assertTrue(eval(browser, "document.getElementById('upstream-summary').textContent").contains("link up"));
            browser.screenshot(SHOTS.resolve("replica.png"));
        } finally {
            writing.set(false);
            writer.join(10_000);
        }
        assertTrue(Files.size(SHOTS.resolve("mesh-up.png")) > 10_000, "a real screenshot");
    }

    private static String badges(HeadlessChromium browser) {
        return eval(browser, LINK_BADGE);
    }

    private static int updates(HeadlessChromium browser) {
        return Integer.parseInt(eval(browser, "document.body.dataset.updates"));
    }

    private static String eval(HeadlessChromium browser, String expression) {
        try {
            return browser.evaluate("String(" + expression + ")");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
