package io.keymesh.proxy.mesh;

import java.time.Duration;

import org.junit.jupiter.api.AfterEach;

/** Base of the mesh scenario tests: one fresh mesh per test, always closed. */
public abstract class MeshTest {
    /** How long a healthy mesh may take to converge after the last write. */
    protected static final Duration CONVERGE = Duration.ofSeconds(30);

    /** The test's mesh, which the test starts; closed after the test. */
    protected MeshFixture mesh;

    @AfterEach
    void closeMesh() {
        if (mesh != null) {
            mesh.close();
            mesh = null;
        }
    }

    /** A pause long enough that the next write gets a later HLC millisecond than the previous one on any node. */
    protected static void later() {
        Await.sleep(25);
    }
}
