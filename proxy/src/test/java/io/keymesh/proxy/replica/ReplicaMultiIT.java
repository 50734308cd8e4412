package io.keymesh.proxy.replica;

import io.keymesh.proxy.it.RespSocket;
import io.keymesh.proxy.mesh.Await;
import io.keymesh.proxy.mesh.MeshFixture;
import io.keymesh.proxy.mesh.MeshNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A write queued in MULTI on a replica is refused and dooms the transaction, as Redis' rejectCommand does
 * on a read-only replica: EXEC answers EXECABORT and none of the queued commands ran; a MULTI of reads
 * runs. With write-policy readonly the refusal is READONLY; with forward it is keymesh's (transactions
 * are not forwarded).
 */
class ReplicaMultiIT {
    private static final RespSocket.Err READONLY = new RespSocket.Err("READONLY You can't write against a read only replica.");
    private static MeshFixture mesh;

    @BeforeAll
    static void start() {
        mesh = MeshFixture.builder().nodes(1).replicas(2)
                .setting(1, "keymesh.replica.write-policy", "readonly")
                .setting(2, "keymesh.replica.write-policy", "forward")
                .start();
    }

    @AfterAll
    static void stop() {
        if (mesh != null) {
            mesh.close();
        }
    }

    @Test
    void forwardedReplicaRefusesWritesInsideMultiAndAbortsExec() throws Exception {
        mesh.node(0).sync().set("f", "primary");
        int port = mesh.replica(1).port();
        Await.value(MeshNode.TIMEOUT, mesh.replica(1), "f", "primary");
        try (RespSocket c = new RespSocket(port, Duration.ofSeconds(10))) {
            assertEquals("OK", c.call("MULTI"));
            Object refused = c.call("SET", "f", "replica");
            assertEquals(true, refused instanceof RespSocket.Err e && e.message().startsWith("ERR keymesh: writes inside MULTI"),
                    "refusal: " + refused);
            assertEquals(new RespSocket.Err("EXECABORT Transaction discarded because of previous errors."), c.call("EXEC"));
            assertEquals("primary", c.call("GET", "f"));
            assertEquals("OK", c.call("SET", "f", "forwarded"), "outside MULTI the write is forwarded");
        }
        assertEquals("forwarded", mesh.node(0).sync().get("f"));
    }

    @Test
    void writeInsideMultiAbortsExec() throws Exception {
        mesh.node(0).sync().set("k", "primary");
        int port = mesh.replica(0).port();
        Await.value(MeshNode.TIMEOUT, mesh.replica(0), "k", "primary");
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
