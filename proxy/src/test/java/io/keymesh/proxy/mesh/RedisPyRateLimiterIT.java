package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.keymesh.proxy.testsupport.Teardown;

import org.junit.jupiter.api.Test;

/**
 * redis-py (the distribution's python3-redis, RESP2) scripts against a two-primary mesh: SCRIPT
 * LOAD and EVALSHA on each node, and a sliding-window rate limiter (a sorted set of admitted
 * requests) called through redis-py's register_script from threads on both nodes while they are
 * cut apart. Members merge per member, so each side admits the limit on its own view (twice the
 * limit in all) and after the heal both nodes hold every admitted request and refuse alike. Runs
 * {@code redis_py_rate_limiter.py} (next to this class), which asks on stdout for the cut and the
 * heal.
 */
class RedisPyRateLimiterIT extends MeshTest {

    @Test
    void redisPyEvalshaAndASlidingWindowLimiterAcrossAPartition() throws Exception {
        RedisPyCachingIT.requireRedisPy();
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        Path script = mesh.tempDir().resolve("redis_py_rate_limiter.py");
        try (InputStream in = RedisPyRateLimiterIT.class.getResourceAsStream("redis_py_rate_limiter.py")) {
            Files.write(script, in.readAllBytes());
        }
        Process p = new ProcessBuilder(RedisPyCachingIT.PYTHON, script.toString(), Integer.toString(a.port()),
                Integer.toString(b.port())).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        Thread watchdog = new Thread(() -> {
            try {
                if (!p.waitFor(180, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        watchdog.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                Writer stdin = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8)) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                lines.add(line);
                if (line.equals("cut?")) {
                    mesh.cut(a, b);
                    stdin.write("cut\n");
                    stdin.flush();
                } else if (line.equals("heal?")) {
                    mesh.heal(a, b);
                    stdin.write("healed\n");
                    stdin.flush();
                }
            }
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                fail("redis-py script did not exit:\n" + String.join("\n", lines));
            }
        } finally {
            watchdog.interrupt();
            Teardown.stopProcess(p);
        }
        String output = String.join("\n", lines);
        assertEquals(0, p.exitValue(), "redis-py script failed:\n" + output);
        for (String check : List.of("ok script_load on A and B give one sha", "ok evalsha admits",
                "ok A admits the limit during the partition", "ok B admits the limit during the partition",
                "ok after the heal both nodes hold every admitted request", "ok the members are the same",
                "ok A refuses after the heal", "ok B refuses after the heal", "done")) {
            assertTrue(lines.contains(check), check + " missing:\n" + output);
        }
        mesh.awaitConverged(CONVERGE);
    }
}
