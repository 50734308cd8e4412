package io.keymesh.proxy.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.testsupport.NodePackages;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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

    @Test
    void nodeRedis4ConnectsPassesALegacyReadyCheckAndRunsCommands() throws Exception {
        Path dir = NodePackages.nodeRedis4();
        Path script = dir.resolve("keymesh-check.js");
        Files.writeString(script, SCRIPT);
        NodePackages.Run run = NodePackages.run(dir, 60, List.of(NodePackages.require("node").toString(), script.toString(),
                "redis://127.0.0.1:" + fx.port()));
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
