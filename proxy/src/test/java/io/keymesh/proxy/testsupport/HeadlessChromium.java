package io.keymesh.proxy.testsupport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Debian's Chromium, headless, with one page open and driven over the DevTools protocol (a
 * WebSocket on loopback): evaluate script in the open page and take screenshots without reloading
 * it. Closing stops the browser and every process it started and deletes its profile.
 */
public final class HeadlessChromium implements AutoCloseable {
    private static final List<String> BINARIES = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser");
    private static final Pattern TARGET = Pattern.compile("\\{[^{}]*\\}");
    private static final Pattern RESPONSE_ID = Pattern.compile("^\\{\"id\":(\\d+)");

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final Map<Integer, CompletableFuture<String>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();

    private HeadlessChromium(Process process, Path profile, WebSocket socket) {
        this.process = process;
        this.profile = profile;
        this.socket = socket;
    }

    /** The Chromium binary, when Debian's package is installed. */
    public static Optional<Path> binary() {
        return BINARIES.stream().map(Path::of).filter(Files::isExecutable).findFirst();
    }

    /** Starts a headless Chromium of {@code width}x{@code height} showing {@code url}. */
    public static HeadlessChromium open(String url, int width, int height) throws IOException, InterruptedException {
        Path binary = binary().orElseThrow(() -> new IllegalStateException("no Chromium (Debian package chromium)"));
        Path profile = Files.createTempDirectory("keymesh-chromium-");
        List<String> command = List.of(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + profile,
                "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--remote-allow-origins=*",
                "--window-size=" + width + "," + height, url);
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(profile.resolve("chromium.log").toFile()).start();
        HeadlessChromium browser = null;
        try {
            int port = devToolsPort(process, profile);
            String pageSocket = pageSocket(port, url);
            HeadlessChromium[] self = new HeadlessChromium[1];
            WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create(pageSocket), new Listener(msg -> self[0].received(msg)))
                    .get(10, TimeUnit.SECONDS);
            browser = new HeadlessChromium(process, profile, ws);
            self[0] = browser;
            return browser;
        } catch (Exception e) {
            stop(process);
            deleteTree(profile);
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot drive Chromium: " + e, e);
        }
    }

    /** The port Chromium's DevTools listen on, from the DevToolsActivePort file it writes in its profile. */
    private static int devToolsPort(Process process, Path profile) throws IOException, InterruptedException {
        Path file = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("Chromium exited with " + process.exitValue() + ": "
                        + Files.readString(profile.resolve("chromium.log")));
            }
            if (Files.exists(file)) {
                List<String> lines = Files.readAllLines(file);
                if (!lines.isEmpty() && !lines.get(0).isBlank()) {
                    return Integer.parseInt(lines.get(0).trim());
                }
            }
            Thread.sleep(50);
        }
        throw new IOException("Chromium wrote no DevToolsActivePort within 30 s");
    }

    /** The DevTools WebSocket of the page showing {@code url}. */
    private static String pageSocket(int port, String url) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String last = "";
        while (System.nanoTime() < deadline) {
            last = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = TARGET.matcher(last);
            while (m.find()) {
                String target = m.group();
                if (target.contains("\"type\": \"page\"") && target.contains(url)) {
                    Matcher ws = Pattern.compile("\"webSocketDebuggerUrl\": \"([^\"]+)\"").matcher(target);
                    if (ws.find()) {
                        return ws.group(1);
                    }
                }
            }
            Thread.sleep(100);
        }
        throw new IOException("no page target for " + url + " in " + last);
    }

    /** Evaluates {@code expression} in the open page; its value (made a string by the caller's script). */
    public String evaluate(String expression) throws IOException {
        String result = call("Runtime.evaluate", "{\"expression\":" + quote(expression) + ",\"returnByValue\":true}");
        Matcher m = Pattern.compile("\"value\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(result);
        if (!m.find()) {
            throw new IOException("evaluation gave no string: " + result);
        }
        return unquote(m.group(1));
    }

    /** Loads {@code url} in the open page (the caller waits for what it expects to see). */
    public void navigate(String url) throws IOException {
        call("Page.navigate", "{\"url\":" + quote(url) + "}");
    }

    /** Saves a PNG of the page as it is now to {@code file}. */
    public void screenshot(Path file) throws IOException {
        String result = call("Page.captureScreenshot", "{\"format\":\"png\"}");
        Matcher m = Pattern.compile("\"data\":\"([^\"]+)\"").matcher(result);
        if (!m.find()) {
            throw new IOException("no screenshot in " + result.substring(0, Math.min(200, result.length())));
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, Base64.getDecoder().decode(m.group(1).replace("\\/", "/")));
    }

    private String call(String method, String params) throws IOException {
        int id = ids.incrementAndGet();
        CompletableFuture<String> reply = new CompletableFuture<>();
        pending.put(id, reply);
        socket.sendText("{\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}", true);
        try {
            String result = reply.get(20, TimeUnit.SECONDS);
            if (result.contains("\"error\":")) {
                throw new IOException(method + " failed: " + result);
            }
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for " + method, e);
        } catch (Exception e) {
            if (e instanceof IOException io) {
                throw io;
            }
            throw new IOException(method + ": " + e, e);
        } finally {
            pending.remove(id);
        }
    }

    private void received(String message) {
        Matcher m = RESPONSE_ID.matcher(message);
        if (m.find()) {
            CompletableFuture<String> reply = pending.get(Integer.parseInt(m.group(1)));
            if (reply != null) {
                reply.complete(message);
            }
        }
    }

    /** A JSON string literal of {@code s}. */
    static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** The text of a JSON string literal's body. */
    static String unquote(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = s.charAt(++i);
            switch (e) {
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'u' -> {
                    out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> out.append(e);
            }
        }
        return out.toString();
    }

    @Override
    public void close() {
        socket.abort();
        stop(process);
        deleteTree(profile);
    }

    /** Stops Chromium and every process it started (renderers, zygotes, GPU and utility processes). */
    private static void stop(Process process) {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        process.destroy();
        all.forEach(ProcessHandle::destroy);
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        all.add(process.toHandle());
        for (ProcessHandle p : all) {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
        for (ProcessHandle p : all) {
            p.onExit().completeOnTimeout(p, 5, TimeUnit.SECONDS).join();
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind costs nothing
        }
    }

    /** Joins each message's text frames and hands it on. */
    private static final class Listener implements WebSocket.Listener {
        private final java.util.function.Consumer<String> sink;
        private final StringBuilder buffer = new StringBuilder();

        Listener(java.util.function.Consumer<String> sink) {
            this.sink = sink;
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            buffer.append(data);
            if (last) {
                String message = buffer.toString();
                buffer.setLength(0);
                sink.accept(message);
            }
            webSocket.request(1);
            return null;
        }
    }
}
