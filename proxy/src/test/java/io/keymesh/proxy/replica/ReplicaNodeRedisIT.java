package io.keymesh.proxy.replica;

import io.keymesh.proxy.mesh.Await;
import io.keymesh.proxy.mesh.MeshFixture;
import io.keymesh.proxy.mesh.MeshNode;
import io.keymesh.proxy.testsupport.NodePackages;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        Path dir = NodePackages.nodeRedis4();
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
            NodePackages.Run run = NodePackages.run(dir, 60, List.of(NodePackages.require("node").toString(),
                    script.toString(), "redis://127.0.0.1:" + r.port()));
            String out = run.output();
            List<String> lines = out.lines().toList();
            assertEquals(0, run.exit(), "node exited non-zero:\n" + out);
            assertTrue(lines.contains("loading=0"), out);
            assertTrue(lines.contains("role=slave"), out);
            assertTrue(lines.contains("link=down"), out);
            assertTrue(lines.contains("value=still served"), out);
        }
    }
}
