package io.keymesh.topology.link;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void doublesWhileConnectionsFailUpToTheMaximum() {
        Backoff b = new Backoff(100, 1000);
        assertEquals(List.of(100L, 200L, 400L, 800L, 1000L, 1000L),
                List.of(b.next(), b.next(), b.next(), b.next(), b.next(), b.next()));
    }

    @Test
    void aConnectionThatStreamedStartsTheNextDelayAtTheMinimumWhateverEndedIt() {
        Backoff b = new Backoff(100, 5000);
        for (int i = 0; i < 10; i++) {
            b.next();
        }
        b.streamed();
        assertEquals(100, b.next(), "the link streamed, then failed: it reconnects at the minimum");
        assertEquals(200, b.next());
    }
}
