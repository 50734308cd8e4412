package io.keymesh.proxy.write;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Base of write-path integration tests that share one node with replication forced on per test class. */
abstract class ReplicatingNodePerClass {
    static WriteFixture fx;

    @BeforeAll
    static void startNode() {
        fx = WriteFixture.replicating();
    }

    @AfterAll
    static void stopNode() {
        if (fx != null) {
            fx.close();
            fx = null;
        }
    }
}
