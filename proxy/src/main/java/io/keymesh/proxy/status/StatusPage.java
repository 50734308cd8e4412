package io.keymesh.proxy.status;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.keymesh.proxy.server.NodeContext;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The live status page on the HTTP port: {@code /} (HTML, script and style from the jar, no
 * external resource) and {@code /status.json}, this node's view that the page polls every second.
 * Any other path is a 404; any method but GET and HEAD a 405.
 */
public final class StatusPage implements HttpHandler {
    private static final String RESOURCES = "/io/keymesh/proxy/status/";
    private static final Map<String, String[]> FILES = Map.of(
            "/", new String[] {"index.html", "text/html; charset=utf-8"},
            "/index.html", new String[] {"index.html", "text/html; charset=utf-8"},
            "/status.js", new String[] {"status.js", "text/javascript; charset=utf-8"},
            "/status.css", new String[] {"status.css", "text/css; charset=utf-8"});

    private final NodeContext node;

    public StatusPage(NodeContext node) {
        this.node = node;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/status.json")) {
                byte[] body = NodeStatus.json(node, node.clock().time().wallMillis()).getBytes(StandardCharsets.UTF_8);
                send(exchange, 200, "application/json", body);
                return;
            }
            String[] file = FILES.get(path);
            if (file == null) {
                send(exchange, 404, "text/plain; charset=utf-8",
                        ("not found: " + path + " (try /, /status.json or /metrics)\n").getBytes(StandardCharsets.UTF_8));
                return;
            }
            send(exchange, 200, file[1], resource(file[0]));
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = StatusPage.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IOException("status page resource missing from the jar: " + name);
            }
            return in.readAllBytes();
        }
    }

    private static void send(HttpExchange exchange, int code, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(code, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }
}
