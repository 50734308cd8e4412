package io.keymesh.proxy.it;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Base of integration tests that start a fresh default keymesh node for each test (tests that kill or restart parts of it). */
abstract class OneNodePerTest {
    KeymeshFixture fx;

    @BeforeEach
    void startNode() {
        fx = KeymeshFixture.start();
    }

    @AfterEach
    void stopNode() {
        if (fx != null) {
            fx.close();
            fx = null;
        }
    }
}
