package io.keymesh.proxy.mesh;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One keymesh node run as a separate JVM ({@code java -cp <test classpath> io.keymesh.proxy.Main
 * start <config>}), so a test can {@code kill -9} the keymesh process while its redis-server lives on.
 * Remembers every process the JVM started, so that {@link #stop()} can end leftovers by pid.
 */
final class ExternalKeymesh {
    private static final Pattern READY = Pattern.compile("keymesh ready on [^ ]*:(\\d+)");

    private final Path configFile;
    private final Path logFile;
    private final List<String> jvmOptions;
    private final List<String> launcher;
    private final Set<ProcessHandle> descendants = ConcurrentHashMap.newKeySet();
    private Process process;
    private int port;
    private int starts;

    ExternalKeymesh(Path dir, Map<String, Object> settings, List<String> jvmOptions) throws IOException {
        this(dir, settings, jvmOptions, List.of());
    }

    /** A node whose JVM is started through {@code launcher} (e.g. {@code ip netns exec NAME}) instead of directly. */
    ExternalKeymesh(Path dir, Map<String, Object> settings, List<String> jvmOptions, List<String> launcher) throws IOException {
        this.launcher = List.copyOf(launcher);
        this.configFile = dir.resolve("keymesh.conf");
        this.logFile = dir.resolve("keymesh.log");
        this.jvmOptions = List.copyOf(jvmOptions);
        String hocon = ConfigFactory.parseMap(settings).root().render(ConfigRenderOptions.concise().setJson(false));
        Files.writeString(configFile, hocon);
    }

    /** Starts the JVM and waits until the node logs that its client port is ready; returns the port. */
    int start(Duration timeout) throws IOException, InterruptedException {
        starts++;
        Path log = logFile.resolveSibling("keymesh-" + starts + ".log");
        List<String> command = new ArrayList<>(launcher);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:+UseParallelGC");
        command.add("-XX:TieredStopAtLevel=1");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classPath());
        command.add("io.keymesh.proxy.Main");
        command.add("start");
        command.add(configFile.toString());
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            process.descendants().forEach(descendants::add);
            Matcher m = READY.matcher(Files.exists(log) ? Files.readString(log) : "");
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
                process.descendants().forEach(descendants::add);
                return port;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("keymesh JVM exited with " + process.exitValue() + ":\n" + tail(log));
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("keymesh JVM not ready within " + timeout + ":\n" + tail(log));
    }

    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    private static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no log)";
        }
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    int port() {
        return port;
    }

    /** The keymesh JVM's process id (0 before it started). */
    long pid() {
        return process == null ? 0 : process.pid();
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL to the keymesh JVM only: its redis-server keeps running, as after a crash. */
    void kill9() throws InterruptedException {
        if (process != null) {
            process.descendants().forEach(descendants::add);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM (a clean stop: keymesh stops its redis-server), then SIGKILL for anything this node started that is left. */
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.descendants().forEach(descendants::add);
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        for (ProcessHandle h : descendants) {
            if (h.isAlive()) {
                h.destroy();
                h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join();
                if (h.isAlive()) {
                    h.destroyForcibly();
                }
            }
        }
        descendants.removeIf(h -> !h.isAlive());
    }
}
