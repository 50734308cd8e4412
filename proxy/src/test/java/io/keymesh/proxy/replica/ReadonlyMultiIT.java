package io.keymesh.proxy.replica;

import io.keymesh.proxy.it.RespSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A write queued in MULTI on a readonly replica is refused with READONLY and dooms the transaction, as
 * on a Redis replica: EXEC answers EXECABORT and none of the queued commands ran; a MULTI of reads runs.
 */
class ReadonlyMultiIT {
    private static final RespSocket.Err READONLY = new RespSocket.Err("READONLY You can't write against a read only replica.");
    private static ReplicaCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        cluster = new ReplicaCluster(1);
        cluster.addReplica("readonly", Map.of());
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void writeInsideMultiAbortsExec() throws Exception {
        cluster.connect(cluster.primaryPort(0)).sync().set("k", "primary");
        int port = cluster.replica(0).port();
        ReplicaCluster.await("k replicated", 20_000, () -> "primary".equals(cluster.connect(port).sync().get("k")));
        try (RespSocket c = new RespSocket(port, Duration.ofSeconds(10))) {
            assertEquals("OK", c.call("MULTI"));
            assertEquals("QUEUED", c.call("GET", "k"));
            assertEquals(READONLY, c.call("SET", "k", "replica"));
            assertEquals("QUEUED", c.call("GET", "k"));
            assertEquals(new RespSocket.Err("EXECABORT Transaction discarded because of previous errors."), c.call("EXEC"));
            assertEquals(new RespSocket.Err("ERR EXEC without MULTI"), c.call("EXEC"));
            assertEquals("primary", c.call("GET", "k"));

            assertEquals("OK", c.call("MULTI"));
            assertEquals("QUEUED", c.call("GET", "k"));
            assertEquals(Arrays.asList("primary"), c.call("EXEC"), "a transaction of reads runs on the replica");
            assertEquals(READONLY, c.call("SET", "k", "replica"), "outside MULTI a write is refused alone");
        }
    }
}
