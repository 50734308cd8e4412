package io.keymesh.proxy.mesh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A node's /metrics over HTTP, read as a monitoring system would. */
final class NodeMetrics {
    private NodeMetrics() {
    }

    /** A free loopback port for a node's keymesh.http.port. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The one sample of {@code name} in the /metrics at {@code port} (-1 when absent). */
    static long sample(int port, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*\\} ([0-9.E-]+)$").matcher(text(port));
        if (!m.find()) {
            return -1;
        }
        return (long) Double.parseDouble(m.group(1));
    }

    /** The /metrics text at {@code port}. */
    static String text(int port) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
