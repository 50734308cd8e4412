package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * redis-py (the distribution's python3-redis, RESP2) against a two-primary mesh: CLIENT TRACKING
 * with REDIRECT to a connection subscribed to {@code __redis__:invalidate}, through redis-py's own
 * tracking commands; a write and a FLUSHDB made on node A reach the subscriber on node B. Runs
 * {@code redis_py_tracking.py} (next to this class) with /usr/bin/python3.
 */
class RedisPyCachingIT extends MeshTest {
    static final String PYTHON = "/usr/bin/python3";

    private record Run(int exit, String output) {
    }

    private static Run run(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("keymesh-redis-py", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                fail(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s:\n" + Files.readString(log));
            }
            return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** Makes sure redis-py is importable, installing it as bin/setup --test does; skips with the reason if it cannot be had. */
    static void requireRedisPy() throws IOException, InterruptedException {
        if (Files.isExecutable(Path.of(PYTHON)) && run(30, PYTHON, "-c", "import redis").exit() == 0) {
            return;
        }
        Path setup = Path.of("..", "bin", "setup").toAbsolutePath().normalize();
        Run install = run(600, setup.toString(), "--test");
        boolean ok = Files.isExecutable(Path.of(PYTHON)) && run(30, PYTHON, "-c", "import redis").exit() == 0;
        Assumptions.assumeTrue(ok, "redis-py is not installed for " + PYTHON + " and bin/setup --test could not install "
                + "the python3-redis package (it installs as root on Debian/Ubuntu only):\n" + install.output());
    }

    @Test
    void redisPyRedirectedTrackingOnBSeesAWriteAndAFlushMadeOnA() throws Exception {
        requireRedisPy();
        mesh = MeshFixture.start(2);
        Path script = Files.createTempFile("redis_py_tracking", ".py");
        try (InputStream in = RedisPyCachingIT.class.getResourceAsStream("redis_py_tracking.py")) {
            Files.write(script, in.readAllBytes());
            Run run = run(120, PYTHON, script.toString(), Integer.toString(mesh.node(0).port()),
                    Integer.toString(mesh.node(1).port()));
            String out = run.output();
            assertEquals(0, run.exit(), "redis-py script failed:\n" + out);
            List<String> lines = out.lines().toList();
            for (String check : List.of("ok client_tracking_on", "ok client_getredir", "ok client_trackinginfo redirect",
                    "ok invalidation for a write on A", "ok invalidation for FLUSHDB on A", "done")) {
                assertTrue(lines.contains(check), check + " missing:\n" + out);
            }
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
