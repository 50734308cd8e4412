package io.keymesh.proxy.fuzz;

import io.keymesh.proxy.it.RespSocket;
import io.keymesh.proxy.mesh.JvmThreads;
import io.keymesh.proxy.mesh.MeshNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Watches the node under fuzzing from outside. {@link #check} runs on a control connection of its
 * own: PING, GET of a known key, INCR of a counter only the control writes, each with its expected
 * reply. {@link #deepCheck} asks the node's JVM (jcmd) for its threads and, after a full GC, its
 * heap: every thread of the baseline that should live as long as the node (event loops, the pull
 * thread of each peer, housekeeping) must still be there, the thread count must stay near the
 * baseline, the heap used after GC under a bound, and the node's log free of faults (errors that
 * end threads, ERROR lines, exceptions logged with a stack trace, failing housekeeping).
 */
final class NodeWatch implements AutoCloseable {
    /** The key the control sets once and reads after every batch. */
    static final String KNOWN_KEY = "fuzz:known";
    private static final String COUNTER_KEY = "fuzz:control-counter";
    private static final Pattern USED = Pattern.compile("used (\\d+)K");
    private static final byte[] CONTROL_REQUESTS = controlRequests();
    /**
     * What the node's log must never say: errors that end threads, a failing housekeeping pass
     * (which then stops collecting tombstones or trimming logs) and metadata it could not read
     * (something stored a value the library cannot parse). Refused links and closed clients are
     * expected under fuzzing and logged at WARN or INFO without a stack trace, so they pass.
     */
    private static final List<String> FATAL = List.of("OutOfMemoryError", "StackOverflowError", "Exception in thread",
            "housekeeping failed", "whose metadata cannot be read");
    /** A log line at ERROR level (the node's pattern: "HH:mm:ss.SSS LEVEL [thread] logger - message"). */
    private static final Pattern ERROR_LINE = Pattern.compile("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ERROR ");

    private final MeshNode node;
    private final Path logDir;
    private final String knownValue;
    private final Set<String> lastingThreads;
    private final int baselineThreads;
    private RespSocket control;
    private long counter;
    private long flushesByPeer;
    private long heapUsedMaxKb;
    private int threadsMax;

    NodeWatch(MeshNode node, Path logDir, long seed) throws IOException, InterruptedException {
        this.node = node;
        this.logDir = logDir;
        this.knownValue = "known-" + seed;
        this.control = new RespSocket(node.port(), Duration.ofSeconds(10));
        Object set = control.call("SET", KNOWN_KEY, knownValue);
        if (!"OK".equals(set)) {
            throw new IOException("SET " + KNOWN_KEY + " answered " + set);
        }
        control.call("DEL", COUNTER_KEY);
        List<String> threads = threads();
        this.baselineThreads = threads.size();
        this.lastingThreads = new TreeSet<>();
        for (String t : threads) {
            if (t.startsWith("keymesh-") || t.contains("eventloop") || t.contains("EventLoop") || t.startsWith("nioEventLoop")
                    || t.startsWith("epollEventLoop")) {
                lastingThreads.add(t);
            }
        }
        this.threadsMax = baselineThreads;
    }

    private static byte[] controlRequests() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        RespSocket.encodeInto(out, "PING");
        RespSocket.encodeInto(out, "GET", KNOWN_KEY);
        RespSocket.encodeInto(out, "INCR", COUNTER_KEY);
        return out.toByteArray();
    }

    /** The threads the node is expected to keep for its lifetime (for the report). */
    Set<String> lastingThreads() {
        return lastingThreads;
    }

    /**
     * Null when the node answers the control as it should; else what is wrong. {@code flushAllowed}:
     * the last cases could flush the database legitimately (a peer's flush frames: a peer may flush
     * what it likes), so a known key and counter found gone are written again, and counted.
     */
    String check(boolean flushAllowed) {
        if (!node.isRunning()) {
            return "the node's JVM is gone";
        }
        try {
            control.sendRaw(CONTROL_REQUESTS);
            Object pong = control.read();
            Object known = control.read();
            Object count = control.read();
            counter++;
            if (!"PONG".equals(pong)) {
                return "PING answered " + pong;
            }
            if (flushAllowed && (known == null || knownValue.equals(known)) && Long.valueOf(1).equals(count)) {
                // a flush stamped earlier than the known key keeps it, yet takes the counter's increments
                // with it when they were made before the flush reached the node (merge.md, FLUSHDB)
                flushesByPeer++;
                counter = 1;
                Object set = known == null ? control.call("SET", KNOWN_KEY, knownValue) : "OK";
                return "OK".equals(set) ? null : "SET " + KNOWN_KEY + " answered " + set;
            }
            if (!knownValue.equals(known)) {
                return "GET " + KNOWN_KEY + " answered " + known + ", expected " + knownValue;
            }
            if (!Long.valueOf(counter).equals(count)) {
                return "INCR " + COUNTER_KEY + " answered " + count + ", expected " + counter;
            }
            return null;
        } catch (IOException e) {
            String failure = "the control connection failed: " + e;
            try {
                control.close();
                control = new RespSocket(node.port(), Duration.ofSeconds(10));
            } catch (IOException again) {
                failure += "; reconnecting failed: " + again;
            }
            return failure;
        }
    }

    /** How often a peer's flush frames emptied the control's database (see {@link #check}). */
    long flushesByPeer() {
        return flushesByPeer;
    }

    /** Null when threads, heap and log look right; else what is wrong. */
    String deepCheck(long heapUsedBoundKb, int extraThreadsMax) {
        try {
            List<String> threads = threads();
            threadsMax = Math.max(threadsMax, threads.size());
            List<String> gone = new ArrayList<>();
            for (String t : lastingThreads) {
                if (!threads.contains(t)) {
                    gone.add(t);
                }
            }
            if (!gone.isEmpty()) {
                return "threads died: " + gone;
            }
            if (threads.size() > baselineThreads + extraThreadsMax) {
                return threads.size() + " threads, baseline " + baselineThreads + ": " + threads;
            }
            long used = heapUsedAfterGcKb();
            heapUsedMaxKb = Math.max(heapUsedMaxKb, used);
            if (used > heapUsedBoundKb) {
                return "heap used after a full GC is " + used + " KB, over " + heapUsedBoundKb + " KB";
            }
            String fatal = fatalLogLine();
            return fatal == null ? null : "the node's log says: " + fatal;
        } catch (IOException | InterruptedException e) {
            return "jcmd failed: " + e;
        }
    }

    long heapUsedMaxKb() {
        return heapUsedMaxKb;
    }

    int threadsMax() {
        return threadsMax;
    }

    int baselineThreads() {
        return baselineThreads;
    }

    private List<String> threads() throws IOException, InterruptedException {
        return JvmThreads.of(node.pid());
    }

    private long heapUsedAfterGcKb() throws IOException, InterruptedException {
        jcmd("GC.run");
        String info = jcmd("GC.heap_info");
        long used = 0;
        Matcher m = USED.matcher(info);
        while (m.find()) {
            used += Long.parseLong(m.group(1));
        }
        return used;
    }

    /** The first fault the node's log files report ({@link #fault}), or null. */
    private String fatalLogLine() throws IOException {
        try (Stream<Path> files = Files.walk(logDir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("keymesh-\\d+\\.log")).toList()) {
                String fault = fault(Files.readAllLines(f, StandardCharsets.ISO_8859_1));
                if (fault != null) {
                    return fault;
                }
            }
        }
        return null;
    }

    /**
     * The first line of a node's log that reports a fault ({@link #FATAL}, an ERROR line, or an
     * exception logged with its stack trace, given with the line that logged it), or null.
     */
    static String fault(List<String> lines) {
        String logged = "";
        String previous = "";
        for (String line : lines) {
            for (String fatal : FATAL) {
                if (line.contains(fatal)) {
                    return line;
                }
            }
            if (ERROR_LINE.matcher(line).find()) {
                return line;
            }
            if (line.startsWith("\tat ")) {
                return "an exception with its stack trace: " + logged + " / " + previous + " / " + line.trim();
            }
            if (!line.startsWith("\t")) {
                if (!line.isEmpty() && Character.isDigit(line.charAt(0))) {
                    logged = line;
                }
                previous = line;
            }
        }
        return null;
    }

    private String jcmd(String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(node.pid()), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("jcmd " + command + ": " + out);
        }
        return out;
    }

    @Override
    public void close() {
        control.close();
    }
}
