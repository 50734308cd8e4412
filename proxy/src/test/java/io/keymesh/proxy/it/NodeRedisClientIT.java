package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * node-redis 4 (the npm "redis" package) against keymesh: connect, a legacy-style ready check
 * (INFO, loading:0), SET/GET, MULTI and pub/sub. Needs node and npm on PATH (CI installs them); the
 * npm install is cached in proxy/target/node-redis.
 */
class NodeRedisClientIT extends OneNodePerClass {
    private static final String SCRIPT = """
            const { createClient } = require('redis');
            (async () => {
              const client = createClient({ url: process.argv[2] });
              client.on('error', (e) => console.error('client error: ' + e));
              await client.connect();
              const info = await client.info();
              const loading = /^loading:(\\d+)\\r?$/m.exec(info);
              console.log('loading=' + (loading ? loading[1] : 'missing'));
              console.log('keymesh-section=' + info.includes('# Keymesh'));
              await client.set('node-redis:key', 'hello from node-redis');
              console.log('value=' + await client.get('node-redis:key'));
              const replies = await client.multi().incr('node-redis:n').incr('node-redis:n').exec();
              console.log('multi=' + replies.join(','));
              const subscriber = client.duplicate();
              subscriber.on('error', (e) => console.error('subscriber error: ' + e));
              await subscriber.connect();
              const got = new Promise((resolve) => subscriber.subscribe('node-ch', (message) => resolve(message)));
              await new Promise((r) => setTimeout(r, 100));
              const receivers = await client.publish('node-ch', 'pubsub works');
              console.log('receivers=' + receivers);
              console.log('message=' + await got);
              await subscriber.unsubscribe('node-ch');
              await subscriber.quit();
              await client.quit();
            })().catch((e) => { console.error('FAILED: ' + (e && e.stack || e)); process.exit(1); });
            """;


    private static Path onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private record Run(int exit, String output) {
    }

    private static Run run(Path dir, long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("keymesh-node", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
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

    /** proxy/target/node-redis with node-redis 4 installed (kept between runs). */
    private static Path nodeRedisInstall() throws IOException, InterruptedException {
        Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        Path dir = module.resolve("target").resolve("node-redis").toAbsolutePath();
        Path installed = dir.resolve("node_modules/redis/package.json");
        if (Files.exists(installed) && Files.readString(installed).contains("\"version\": \"4.")) {
            return dir;
        }
        Files.createDirectories(dir);
        if (!Files.exists(dir.resolve("package.json"))) {
            Files.writeString(dir.resolve("package.json"), "{\"name\": \"keymesh-node-redis-it\", \"private\": true}\n");
        }
        Run install = run(dir, 300, onPath("npm").toString(), "install", "--no-audit", "--no-fund", "--loglevel=error",
                "redis@4");
        assertEquals(0, install.exit(), "npm install redis@4 failed:\n" + install.output());
        assertTrue(Files.exists(installed), "npm install did not install node_modules/redis:\n" + install.output());
        return dir;
    }

    @Test
    void nodeRedis4ConnectsPassesALegacyReadyCheckAndRunsCommands() throws Exception {
        List<String> missing = new ArrayList<>();
        for (String tool : List.of("node", "npm")) {
            if (onPath(tool) == null) {
                missing.add(tool);
            }
        }
        if (!missing.isEmpty()) {
            fail("NodeRedisClientIT needs " + String.join(" and ", missing) + " on PATH (CI installs Node.js 18+ with npm; "
                    + "bin/setup --test installs it locally): the node-redis compatibility check cannot run without it");
        }
        Path dir = nodeRedisInstall();
        Path script = dir.resolve("keymesh-check.js");
        Files.writeString(script, SCRIPT);
        Run run = run(dir, 60, onPath("node").toString(), script.toString(), "redis://127.0.0.1:" + fx.port());
        String out = run.output();
        assertEquals(0, run.exit(), "node script failed:\n" + out);
        List<String> lines = out.lines().toList();
        assertTrue(lines.contains("loading=0"), out);
        assertTrue(lines.contains("keymesh-section=true"), out);
        assertTrue(lines.contains("value=hello from node-redis"), out);
        assertTrue(lines.contains("multi=1,2"), out);
        assertTrue(lines.contains("receivers=1"), out);
        assertTrue(lines.contains("message=pubsub works"), out);
        assertTrue(lines.stream().noneMatch(l -> l.contains("error")), "no client errors:\n" + out);
        assertEquals("hello from node-redis", fx.connect().sync().get("node-redis:key"));
    }
}
