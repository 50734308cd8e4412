package io.keymesh.proxy.it;

import org.junit.jupiter.api.AfterAll;

/**
 * Base of integration tests that share one keymesh node per test class: the class starts it into
 * {@link #fx} in its own {@code @BeforeAll}; this closes it after the class.
 */
abstract class NodePerClass {
    static KeymeshFixture fx;

    @AfterAll
    static void stopNode() {
        if (fx != null) {
            fx.close();
            fx = null;
        }
    }
}
