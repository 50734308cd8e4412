package io.keymesh.storage.process;

import io.keymesh.storage.retry.Backoff;
import io.keymesh.storage.time.TimeSource;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local redis-server keymesh starts, supervises and stops to hold one node's data.
 *
 * <p>It runs from a generated redis.conf, is reachable only over a unix socket and persists with
 * the AOF. Lifecycle: {@link #start(Duration)} writes the config, reclaims a stale server left on the
 * socket by an earlier run, launches redis-server and waits until it answers PING.
 * {@link #supervise(Listener)} restarts it with exponential backoff when it exits on its own.
 * {@link #stop(Duration)} ends supervision first, then sends SIGTERM (redis flushes the AOF and
 * exits) and SIGKILL after the grace period. A JVM shutdown hook calls stop() too.
 *
 * <p>A kill -9 of the keymesh JVM runs no shutdown hook, so its redis-server stays alive (it is
 * re-parented and keeps serving the socket) until the next start() for the same data directory
 * finds it on the socket and shuts it down with SHUTDOWN, which keeps the AOF.
 *
 * <p>Only one RedisProcess (in any JVM) may use a data directory at a time; a lock file
 * (keymesh-redis.lock) enforces that, so the stale-server reclaim can never shut down the server
 * of a keymesh that is still running.
 */
public final class RedisProcess implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RedisProcess.class);

    /** Callbacks from {@link #supervise(Listener)}; called on the supervisor thread. */
    public interface Listener {
        /** The redis-server exited without {@link #stop(Duration)} asking it to; a restart follows. */
        void onDown(String reason);

        /** A restarted redis-server answers PING again. */
        void onUp();
    }

    /** First restart delay; doubles on every further restart. */
    static final Duration BACKOFF_MIN = Duration.ofMillis(100);
    /** Longest restart delay. */
    static final Duration BACKOFF_MAX = Duration.ofSeconds(5);
    /** Uptime after which a crash counts as new and the restart delay starts again at the minimum. */
    static final Duration STABLE_UPTIME = Duration.ofSeconds(30);
    /** Lock file that keeps two RedisProcess instances off one data directory. */
    static final String LOCK_FILE = "keymesh-redis.lock";

    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration HOOK_GRACE = Duration.ofSeconds(10);
    private static final Duration SUPERVISOR_JOIN = Duration.ofSeconds(5);
    private static final int LOG_TAIL_LINES = 20;
    private static final int LOG_TAIL_BYTES = 16 * 1024;

    private final RedisServerSpec spec;
    private final TimeSource time;
    private final RedisServerConfig config;
    private final Object lock = new Object();

    private volatile Process process;
    private volatile long readyAtNanos;
    private volatile boolean stopping;
    private volatile Duration readyTimeout = Duration.ofSeconds(30);
    private volatile long logOffset;
    private volatile long stdoutOffset;

    private Thread supervisor; // guarded by lock
    private Thread shutdownHook; // guarded by lock
    private FileChannel lockChannel; // guarded by lock
    private Path binary; // guarded by lock

    /** A managed redis-server for {@code spec} on the machine's clocks; nothing happens until {@link #start(Duration)}. */
    public RedisProcess(RedisServerSpec spec) {
        this(spec, TimeSource.system());
    }

    /** A managed redis-server for {@code spec} whose deadlines and uptimes read {@code time}. */
    public RedisProcess(RedisServerSpec spec, TimeSource time) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.config = new RedisServerConfig(spec);
        this.time = Objects.requireNonNull(time, "time");
    }

    /** The spec this process runs. */
    public RedisServerSpec spec() {
        return spec;
    }

    /** The unix socket the server listens on (under the data directory, or the short /tmp fallback). */
    public Path socketPath() {
        return config.socketPath();
    }

    /** The current redis-server's process id, or -1 when none is running. */
    public long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    /** Whether a redis-server started by this object is running. */
    public boolean isAlive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /**
     * Starts redis-server and waits until it answers PING (a server still loading its AOF is waited
     * for). Creates the data directory, writes {@code <dataDir>/redis.conf} and shuts down a stale
     * redis-server from an earlier run that still holds the socket.
     *
     * @param readyTimeout how long to wait for readiness (including the stale-server reclaim)
     * @throws RedisStartException if the binary is missing, the data directory is in use, the
     *     process exits early (the message carries the tail of its logs) or is not ready in time
     * @throws IllegalStateException if it is already running
     */
    public void start(Duration readyTimeout) {
        Objects.requireNonNull(readyTimeout, "readyTimeout");
        synchronized (lock) {
            Process current = process;
            if (current != null && current.isAlive()) {
                throw new IllegalStateException("redis-server for " + spec.dataDir() + " is already running (pid "
                        + current.pid() + ")");
            }
            if (supervisor != null) {
                throw new IllegalStateException("redis-server for " + spec.dataDir()
                        + " is supervised; its supervisor restarts it (stop() first to start it by hand)");
            }
            stopping = false;
            this.readyTimeout = readyTimeout;
            long deadline = time.monotonicNanos() + readyTimeout.toNanos();
            boolean ok = false;
            try {
                if (binary == null) {
                    binary = findRedisServer(spec.binary() == null ? null : spec.binary().toString());
                }
                prepareDirectories();
                lockDataDir();
                registerShutdownHook();
                Process p = launch(deadline);
                awaitReady(p, deadline, readyTimeout);
                ok = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RedisStartException("interrupted while starting redis-server for " + spec.dataDir(), e);
            } finally {
                if (!ok) {
                    Process p = process;
                    process = null;
                    if (p != null) {
                        kill(p);
                    }
                    unlockDataDir();
                    removeShutdownHook();
                }
            }
        }
    }

    /**
     * Watches the process on a daemon thread ("keymesh-redis-supervisor"). When it exits without
     * {@link #stop(Duration)} asking, the listener hears {@code onDown}, the server is restarted after
     * 100 ms, doubling per attempt up to 5 s (back to 100 ms once a server had been up 30 s), and the
     * listener hears {@code onUp} when the new one answers PING.
     *
     * @throws IllegalStateException if not started or already supervised
     */
    public void supervise(Listener listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (lock) {
            if (process == null) {
                throw new IllegalStateException("start() the redis-server for " + spec.dataDir()
                        + " before supervising it");
            }
            if (supervisor != null) {
                throw new IllegalStateException("redis-server for " + spec.dataDir() + " is already supervised");
            }
            Thread t = new Thread(() -> superviseLoop(listener), "keymesh-redis-supervisor");
            t.setDaemon(true);
            supervisor = t;
            t.start();
        }
    }

    /**
     * Stops supervision, then the server: SIGTERM (redis flushes the AOF and exits), and SIGKILL if it
     * is still running after {@code grace}. Idempotent; start() may be called again afterwards.
     */
    public void stop(Duration grace) {
        Objects.requireNonNull(grace, "grace");
        stopping = true;
        Thread sup;
        synchronized (lock) {
            sup = supervisor;
            supervisor = null;
        }
        if (sup != null && sup != Thread.currentThread()) {
            sup.interrupt();
            try {
                sup.join(SUPERVISOR_JOIN.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (sup.isAlive()) {
                log.warn("redis supervisor did not finish within {} ms (stuck in a listener?); stopping anyway",
                        SUPERVISOR_JOIN.toMillis());
            }
        }
        synchronized (lock) {
            Process p = process;
            process = null;
            if (p != null) {
                terminate(p, grace);
            }
            unlockDataDir();
            removeShutdownHook();
        }
    }

    /** {@link #stop(Duration)} with a 10 s grace period. */
    @Override
    public void close() {
        stop(HOOK_GRACE);
    }

    /**
     * Locates the redis-server executable: {@code configured} when non-empty, else the first
     * redis-server on PATH, else /usr/bin/redis-server or /usr/local/bin/redis-server.
     *
     * @throws RedisStartException if none is found or the configured one is not executable
     */
    public static Path findRedisServer(String configured) {
        return findRedisServer(configured, System.getenv("PATH"),
                List.of(Path.of("/usr/bin/redis-server"), Path.of("/usr/local/bin/redis-server")));
    }

    static Path findRedisServer(String configured, String pathEnv, List<Path> fallbacks) {
        if (configured != null && !configured.isBlank()) {
            Path p;
            try {
                p = Path.of(configured.trim()).toAbsolutePath().normalize();
            } catch (InvalidPathException e) {
                throw new RedisStartException("keymesh.storage.redis.binary is not a valid path: " + configured, e);
            }
            if (!isExecutableFile(p)) {
                throw new RedisStartException("keymesh.storage.redis.binary is set to " + p
                        + ", which is not an executable file");
            }
            return p;
        }
        if (pathEnv != null) {
            for (String dir : pathEnv.split(File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                try {
                    Path candidate = Path.of(dir, "redis-server");
                    if (isExecutableFile(candidate)) {
                        return candidate.toAbsolutePath().normalize();
                    }
                } catch (InvalidPathException e) {
                    // a junk PATH entry: skip it
                }
            }
        }
        for (Path candidate : fallbacks) {
            if (isExecutableFile(candidate)) {
                return candidate;
            }
        }
        throw new RedisStartException("redis-server not found on PATH; install it (Debian/Ubuntu: apt-get install "
                + "redis-server) or set keymesh.storage.redis.binary");
    }

    // ---------------------------------------------------------------- launching

    /** Writes the config, reclaims a stale server and spawns redis-server. Caller holds {@code lock}. */
    private Process launch(long deadline) throws InterruptedException {
        config.write();
        reclaimStaleServer(deadline);
        logOffset = sizeOf(config.logFile());
        stdoutOffset = sizeOf(config.stdoutFile());
        ProcessBuilder pb = new ProcessBuilder(binary.toString(), config.configFile().toString())
                .directory(spec.dataDir().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(config.stdoutFile().toFile()));
        log.info("starting redis-server {} for {} (socket {})", binary, spec.dataDir(), config.socketPath());
        if (!spec.appendOnly()) {
            log.warn("appendonly is off for {}: writes since the last RDB snapshot are lost on a crash",
                    spec.dataDir());
        }
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new RedisStartException("cannot run " + binary + ": " + e.getMessage(), e);
        }
        try {
            p.getOutputStream().close(); // redis-server never reads stdin
        } catch (IOException e) {
            // irrelevant
        }
        process = p;
        return p;
    }

    /** Polls PING on the socket until PONG; -LOADING and a not-yet-bound socket mean keep waiting. */
    private void awaitReady(Process p, long deadline, Duration timeout) throws InterruptedException {
        long t0 = time.monotonicNanos();
        Path socket = config.socketPath();
        String last = "no answer yet";
        boolean loading = false;
        Backoff polls = new Backoff(2, 50);
        while (true) {
            if (!p.isAlive()) {
                throw new RedisStartException("redis-server (pid " + p.pid() + ") for " + spec.dataDir()
                        + " exited with " + describeExit(p.exitValue()) + " before it was ready" + logTail());
            }
            long remaining = deadline - time.monotonicNanos();
            try {
                long probeMs = Math.max(50, Math.min(PROBE_TIMEOUT.toMillis(), remaining / 1_000_000));
                RespProbe.Reply r = RespProbe.call(time, socket, Duration.ofMillis(probeMs), "PING");
                boolean noAuth = r instanceof RespProbe.Error err && err.is("NOAUTH");
                if (RespProbe.isPong(r) || noAuth) {
                    // NOAUTH (a requirepass in extraConfig) also proves it serves commands; whoever
                    // holds the password (BackendCheck) waits out a still-loading dataset.
                    if (noAuth) {
                        log.info("redis-server pid {} requires a password; readiness probe accepts NOAUTH", p.pid());
                    }
                    readyAtNanos = time.monotonicNanos();
                    log.info("redis-server ready: pid {}, socket {}, {} ms", p.pid(), socket,
                            (readyAtNanos - t0) / 1_000_000);
                    return;
                }
                if (RespProbe.isLoading(r)) {
                    if (!loading) {
                        loading = true;
                        log.info("redis-server pid {} is loading its dataset from {}; waiting", p.pid(),
                                spec.dataDir());
                    }
                    last = "LOADING (still reading its AOF)";
                } else {
                    last = r.toString();
                }
            } catch (IOException e) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted while waiting for redis-server");
                }
                last = e.toString();
            }
            if (deadline - time.monotonicNanos() <= 0) {
                throw new RedisStartException("redis-server (pid " + p.pid() + ") for " + spec.dataDir()
                        + " was not ready within " + timeout.toMillis() + " ms (last probe: " + last + ")"
                        + logTail());
            }
            polls.pause();
        }
    }

    /**
     * If something answers on our socket before we launch, it is a redis-server left over from an
     * earlier keymesh run (killed with -9, say): shut it down with SHUTDOWN, which keeps the AOF, and
     * wait for it to exit. A dead socket file is just removed.
     */
    private void reclaimStaleServer(long deadline) throws InterruptedException {
        Path socket = config.socketPath();
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        RespProbe.Reply ping;
        try {
            ping = RespProbe.call(time, socket, PROBE_TIMEOUT, "PING");
        } catch (IOException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("interrupted while probing " + socket);
            }
            log.info("removing stale socket file {} (nothing listens on it)", socket);
            deleteQuietly(socket);
            return;
        }
        if (!RespProbe.isPong(ping) && !RespProbe.isLoading(ping)) {
            throw new RedisStartException("socket " + socket + " is held by a server that answered PING with "
                    + ping + "; keymesh did not start it (it needs a password?). Stop it or use another data "
                    + "directory");
        }
        long stalePid = -1;
        String staleConfig = null;
        try {
            RespProbe.Reply info = RespProbe.call(time, socket, PROBE_TIMEOUT, "INFO", "server");
            if (info instanceof RespProbe.Bulk b && b.value() != null) {
                for (String line : b.value().split("\r?\n")) {
                    if (line.startsWith("process_id:")) {
                        stalePid = Long.parseLong(line.substring("process_id:".length()).trim());
                    } else if (line.startsWith("config_file:")) {
                        staleConfig = line.substring("config_file:".length()).trim();
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            log.debug("INFO server on stale redis-server at {} failed: {}", socket, e.toString());
        }
        if (staleConfig != null && !samePath(staleConfig, config.configFile())) {
            throw new RedisStartException("socket " + socket + " is held by a redis-server (pid " + stalePid
                    + ") running config " + (staleConfig.isEmpty() ? "<none>" : staleConfig) + ", not keymesh's "
                    + config.configFile() + "; refusing to shut it down. Stop it or use another data directory");
        }
        log.warn("a redis-server from an earlier run (pid {}) still serves {}; shutting it down with SHUTDOWN "
                + "to reclaim {} (its AOF is kept)", stalePid, socket, spec.dataDir());
        RespProbe.Reply reply;
        try {
            long ms = Math.max(100, (deadline - time.monotonicNanos()) / 1_000_000);
            reply = RespProbe.call(time, socket, Duration.ofMillis(ms), "SHUTDOWN");
        } catch (IOException e) {
            reply = new RespProbe.Closed(); // a reply cut short by its exit: judge by whether it goes away
        }
        if (reply instanceof RespProbe.Error err) {
            throw new RedisStartException("stale redis-server (pid " + stalePid + ") on " + socket
                    + " refused SHUTDOWN: " + err.message());
        }
        while (!staleGone(stalePid, socket)) {
            if (deadline - time.monotonicNanos() <= 0) {
                throw new RedisStartException("stale redis-server (pid " + stalePid + ") on " + socket
                        + " did not exit after SHUTDOWN in time; stop it by hand");
            }
            Thread.sleep(10);
        }
        deleteQuietly(socket);
        log.info("stale redis-server (pid {}) has exited; its data in {} is kept", stalePid, spec.dataDir());
    }

    private boolean staleGone(long pid, Path socket) {
        if (pid > 0) {
            return ProcessHandle.of(pid).map(h -> !h.isAlive() || isZombie(pid)).orElse(true);
        }
        try {
            RespProbe.call(time, socket, Duration.ofMillis(200), "PING");
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** A zombie has exited but is not reaped yet (its parent is gone and nobody reaps): Linux only. */
    private static boolean isZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'Z';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- supervision

    private void superviseLoop(Listener listener) {
        Backoff restarts = new Backoff(BACKOFF_MIN.toMillis(), BACKOFF_MAX.toMillis());
        try {
            while (!stopping) {
                Process p = process;
                if (p == null) {
                    return;
                }
                int code = p.waitFor();
                if (stopping) {
                    return;
                }
                long upMs = (time.monotonicNanos() - readyAtNanos) / 1_000_000;
                String reason = "redis-server pid " + p.pid() + " exited unexpectedly with " + describeExit(code)
                        + " after " + upMs + " ms";
                log.error("{}{}", reason, logTail());
                if (jvmShuttingDown()) {
                    log.info("JVM is shutting down; not restarting redis-server");
                    return;
                }
                notifyListener("onDown", () -> listener.onDown(reason));
                if (upMs >= STABLE_UPTIME.toMillis()) {
                    restarts.reset();
                }
                for (int attempt = 1; ; attempt++) {
                    long delayMs = restarts.next();
                    log.warn("restarting redis-server for {} in {} ms (attempt {})", spec.dataDir(), delayMs,
                            attempt);
                    Thread.sleep(delayMs);
                    Duration timeout = readyTimeout;
                    long deadline = time.monotonicNanos() + timeout.toNanos();
                    Process np;
                    try {
                        synchronized (lock) {
                            if (stopping) {
                                return;
                            }
                            np = launch(deadline);
                        }
                        awaitReady(np, deadline, timeout);
                    } catch (RuntimeException e) {
                        if (stopping) {
                            return;
                        }
                        log.error("restart attempt {} for {} failed: {}", attempt, spec.dataDir(), e.getMessage());
                        synchronized (lock) {
                            if (stopping) {
                                return; // stop() terminates whatever is in process
                            }
                            Process failed = process;
                            process = null;
                            if (failed != null && failed != p) {
                                kill(failed);
                            }
                        }
                        continue;
                    }
                    log.info("redis-server for {} restarted: pid {} (was {}), attempt {}", spec.dataDir(), np.pid(),
                            p.pid(), attempt);
                    break;
                }
                notifyListener("onUp", listener::onUp);
            }
        } catch (InterruptedException e) {
            // stop() interrupts the supervisor: leave quietly, stop() deals with the process
        } catch (RuntimeException | Error e) {
            log.error("redis supervisor for {} failed; redis-server is no longer supervised", spec.dataDir(), e);
        }
    }

    private void notifyListener(String what, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.error("redis supervision listener {} threw", what, e);
        }
    }

    /** True once the JVM has begun running shutdown hooks (adding a hook is refused then). */
    static boolean jvmShuttingDown() {
        try {
            Thread probe = new Thread(() -> { });
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    // ---------------------------------------------------------------- stopping

    private void terminate(Process p, Duration grace) {
        if (!p.isAlive()) {
            log.info("redis-server pid {} had already exited ({})", p.pid(), describeExit(p.exitValue()));
            return;
        }
        long t0 = time.monotonicNanos();
        log.info("stopping redis-server pid {} (SIGTERM: it flushes the AOF and exits)", p.pid());
        p.destroy();
        boolean exited = false;
        try {
            exited = p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS);
            if (!exited) {
                log.warn("redis-server pid {} still running after {} ms; killing it (SIGKILL)", p.pid(),
                        grace.toMillis());
                p.destroyForcibly();
                exited = p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
        if (exited) {
            log.info("redis-server pid {} stopped ({}) in {} ms", p.pid(), describeExit(p.exitValue()),
                    (time.monotonicNanos() - t0) / 1_000_000);
        } else {
            log.error("redis-server pid {} did not exit even after SIGKILL", p.pid());
        }
    }

    /** SIGKILL, for a process that failed to start properly. */
    private static void kill(Process p) {
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Registers the JVM shutdown hook that stops the server. Caller holds {@code lock}. */
    private void registerShutdownHook() {
        if (shutdownHook != null) {
            return;
        }
        Thread hook = new Thread(() -> {
            if (process != null) {
                log.info("JVM shutting down: stopping redis-server for {}", spec.dataDir());
            }
            stop(HOOK_GRACE);
        }, "keymesh-redis-shutdown");
        try {
            Runtime.getRuntime().addShutdownHook(hook);
            shutdownHook = hook;
        } catch (IllegalStateException e) {
            throw new RedisStartException("the JVM is shutting down; not starting redis-server", e);
        }
    }

    /** Removes the shutdown hook (unless we are running inside it). Caller holds {@code lock}. */
    private void removeShutdownHook() {
        Thread hook = shutdownHook;
        shutdownHook = null;
        if (hook != null && hook != Thread.currentThread()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutdown in progress: the hook runs anyway and finds nothing left to do
            }
        }
    }

    // ---------------------------------------------------------------- data directory lock

    private void prepareDirectories() {
        try {
            config.prepareDirectories();
        } catch (IOException e) {
            throw new RedisStartException("cannot prepare " + spec.dataDir() + " for redis-server: " + e, e);
        }
    }

    /** Takes the data directory's lock file. Caller holds {@code lock}. */
    private void lockDataDir() {
        if (lockChannel != null) {
            return;
        }
        Path file = spec.dataDir().resolve(LOCK_FILE);
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock fl;
            try {
                fl = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                throw new RedisStartException(spec.dataDir() + " is already used by another RedisProcess in this JVM");
            }
            if (fl == null) {
                String holder = Files.readString(file, StandardCharsets.UTF_8).trim();
                throw new RedisStartException(spec.dataDir() + " is in use by another keymesh process (pid "
                        + (holder.isEmpty() ? "unknown" : holder) + "); two nodes cannot share a data directory");
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            lockChannel = ch;
            ch = null;
        } catch (IOException e) {
            throw new RedisStartException("cannot lock " + file + ": " + e, e);
        } finally {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException e) {
                    // nothing to do
                }
            }
        }
    }

    /** Releases the lock file. Caller holds {@code lock}. */
    private void unlockDataDir() {
        FileChannel ch = lockChannel;
        lockChannel = null;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                log.debug("closing {} failed: {}", LOCK_FILE, e.toString());
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** The last lines redis wrote in this run (redis.log, and redis.stdout.log for early fatal errors). */
    private String logTail() {
        StringBuilder sb = new StringBuilder();
        appendTail(sb, config.logFile(), logOffset);
        appendTail(sb, config.stdoutFile(), stdoutOffset);
        return sb.toString();
    }

    private static void appendTail(StringBuilder sb, Path file, long from) {
        List<String> lines = tail(file, from);
        if (!lines.isEmpty()) {
            sb.append("\n--- last lines of ").append(file).append(" ---");
            for (String line : lines) {
                sb.append('\n').append(line);
            }
        }
    }

    static List<String> tail(Path file, long from) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long size = raf.length();
            long start = Math.max(Math.max(0, from), size - LOG_TAIL_BYTES);
            if (start >= size) {
                return List.of();
            }
            byte[] buf = new byte[(int) (size - start)];
            raf.seek(start);
            raf.readFully(buf);
            String[] all = new String(buf, StandardCharsets.UTF_8).split("\r?\n");
            List<String> lines = new ArrayList<>();
            for (int i = Math.max(0, all.length - LOG_TAIL_LINES); i < all.length; i++) {
                if (!all[i].isBlank()) {
                    lines.add(all[i]);
                }
            }
            return lines;
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String describeExit(int code) {
        return code > 128 && code < 160 ? "exit code " + code + " (signal " + (code - 128) + ")" : "exit code " + code;
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static boolean samePath(String reported, Path ours) {
        try {
            return Path.of(reported).toAbsolutePath().normalize().equals(ours.toAbsolutePath().normalize());
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static boolean isExecutableFile(Path p) {
        return Files.isRegularFile(p) && Files.isExecutable(p);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException | UncheckedIOException e) {
            log.debug("could not delete {}: {}", p, e.toString());
        }
    }
}
