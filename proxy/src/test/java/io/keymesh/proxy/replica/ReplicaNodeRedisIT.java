package io.keymesh.proxy.replica;

import io.keymesh.proxy.mesh.Await;
import io.keymesh.proxy.mesh.MeshFixture;
import io.keymesh.proxy.mesh.MeshNode;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * node-redis 4 (npm "redis", run with the machine's Node.js) connects to a replica whose only primary
 * is down, passes its INFO ready check (loading:0, role:slave, link down) and GETs replicated data.
 */
class ReplicaNodeRedisIT {
    private static final String SCRIPT = """
            const { createClient } = require('redis');
            (async () => {
              const client = createClient({ url: process.argv[2] });
              client.on('error', (e) => console.error('client error: ' + e));
              await client.connect();
              const info = await client.info('replication') + await client.info('persistence');
              console.log('loading=' + (/^loading:(\\d+)\\r?$/m.exec(info) || [])[1]);
              console.log('role=' + (/^role:(\\w+)\\r?$/m.exec(info) || [])[1]);
              console.log('link=' + (/^master_link_status:(\\w+)\\r?$/m.exec(info) || [])[1]);
              console.log('value=' + await client.get('stale:k'));
              await client.quit();
            })().catch((e) => { console.error('FAILED: ' + (e && e.stack || e)); process.exit(1); });
            """;

    @Test
    void nodeRedisReadsFromAReplicaWhosePrimaryIsDown() throws Exception {
        Path node = onPath("node");
        Path npm = onPath("npm");
        if (node == null || npm == null) {
            fail("ReplicaNodeRedisIT needs node and npm on PATH (bin/test installs Node.js)");
        }
        Path dir = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).resolve("target/node-redis")
                .toAbsolutePath();
        if (!Files.exists(dir.resolve("node_modules/redis/package.json"))) {
            Files.createDirectories(dir);
            if (!Files.exists(dir.resolve("package.json"))) {
                Files.writeString(dir.resolve("package.json"), "{\"name\": \"keymesh-node-redis-it\", \"private\": true}\n");
            }
            assertEquals(0, run(dir, 300, npm.toString(), "install", "--no-audit", "--no-fund", "--loglevel=error",
                    "redis@4")[0].length(), "npm install redis@4 failed");
        }
        try (MeshFixture mesh = MeshFixture.builder().nodes(1).replicas(1).start()) {
            MeshNode p = mesh.node(0);
            MeshNode r = mesh.replica(0);
            p.sync().set("stale:k", "still served");
            Await.value(Duration.ofSeconds(20), r, "stale:k", "still served");
            mesh.stop(p);
            Await.until(Duration.ofSeconds(5), "link down", () -> "down".equals(r.info("replication").get("master_link_status")),
                    () -> r.sync().info("replication"));
            Path script = dir.resolve("keymesh-replica-check.js");
            Files.writeString(script, SCRIPT);
            String[] out = run(dir, 60, node.toString(), script.toString(), "redis://127.0.0.1:" + r.port());
            List<String> lines = out[1].lines().toList();
            assertEquals("", out[0], "node exited non-zero:\n" + out[1]);
            assertTrue(lines.contains("loading=0"), out[1]);
            assertTrue(lines.contains("role=slave"), out[1]);
            assertTrue(lines.contains("link=down"), out[1]);
            assertTrue(lines.contains("value=still served"), out[1]);
        }
    }

    /** Runs a command; returns {"" or the exit code, output}. */
    private static String[] run(Path dir, long timeoutSeconds, String... command) throws Exception {
        Path log = Files.createTempFile("keymesh-node", ".log");
        try {
            Process proc = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!proc.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                proc.destroyForcibly();
                proc.waitFor(5, TimeUnit.SECONDS);
                fail(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s:\n" + Files.readString(log));
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            return new String[] {proc.exitValue() == 0 ? "" : Integer.toString(proc.exitValue()), output};
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static Path onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(d, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
