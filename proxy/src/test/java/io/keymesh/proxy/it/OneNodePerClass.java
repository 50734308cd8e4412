package io.keymesh.proxy.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;

/** Base of integration tests that share one default keymesh node per test class, flushed before each test. */
abstract class OneNodePerClass extends NodePerClass {
    @BeforeAll
    static void startNode() {
        fx = KeymeshFixture.start();
    }

    @BeforeEach
    void flushBeforeEachTest() throws IOException {
        fx.flushAll();
    }
}
