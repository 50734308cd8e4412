package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The replication log lives in Redis with the data: a keymesh process killed right after acknowledging writes loses none of them to replication. */
class CrashIT extends MeshTest {

    @Test
    void everyAcknowledgedWriteReachesThePeerAfterKillNineOfKeymeshWithItsLinkCut() throws Exception {
        mesh = MeshFixture.builder().nodes(2).external(0).start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("ready", "1");
        Await.value(CONVERGE, b, "ready", "1");

        RedisAsyncCommands<String, String> async = a.connection().async();
        burst(async, 0, 2500);
        mesh.cut(a, b);     // the link breaks in the middle of the burst ...
        burst(async, 2500, 5000);
        mesh.kill9(a);      // ... and keymesh dies right after the last acknowledgement

        mesh.start(a);      // reclaims its redis-server, data and log kept
        mesh.heal(a, b);
        mesh.awaitConverged(CONVERGE);
        assertEquals("5000", b.sync().get("acked-counter"));
        for (int i = 0; i < 5000; i++) {
            assertEquals("v" + i, b.sync().get("acked:" + i), "acknowledged write " + i + " is on B");
        }
    }

    private static void burst(RedisAsyncCommands<String, String> async, int from, int to) throws Exception {
        List<RedisFuture<?>> acks = new ArrayList<>();
        for (int i = from; i < to; i++) {
            acks.add(async.set("acked:" + i, "v" + i));
            acks.add(async.incr("acked-counter"));
        }
        for (RedisFuture<?> f : acks) {
            f.get(30, TimeUnit.SECONDS);
        }
    }
}
