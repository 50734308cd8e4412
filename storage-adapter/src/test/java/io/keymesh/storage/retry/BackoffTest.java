package io.keymesh.storage.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void doublesUpToTheMaximumAndResetsToTheMinimum() {
        Backoff b = new Backoff(100, 1000);
        assertEquals(100, b.next());
        assertEquals(200, b.next());
        assertEquals(400, b.next());
        assertEquals(800, b.next());
        assertEquals(1000, b.next());
        assertEquals(1000, b.next());
        b.reset();
        assertEquals(100, b.next());
        assertEquals(200, b.next());
    }

    @Test
    void aMaximumBelowTheMinimumMeansAFixedDelay() {
        Backoff b = new Backoff(50, 10);
        assertEquals(50, b.next());
        assertEquals(50, b.next());
    }

    @Test
    void aNegativeMinimumIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(-1, 10));
    }
}
