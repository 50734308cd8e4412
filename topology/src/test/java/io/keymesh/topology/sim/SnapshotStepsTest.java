package io.keymesh.topology.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.link.BackendClient;
import io.keymesh.topology.link.LinkSteps;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.LinkFrame;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A snapshot is made in steps of bounded size against a real redis-server with the apply library:
 * the flush epochs and libraries first, then keys, each step ending once its dumps pass the step's
 * bytes (a larger key alone), every key, live or tombstone, in exactly one step.
 */
class SnapshotStepsTest {
    private static final String NODE = "a0a0a0a0";
    private static SimServers servers;

    @BeforeAll
    static void startServer() {
        servers = new SimServers(1);
    }

    @AfterAll
    static void stopServer() {
        if (servers != null) {
            servers.close();
        }
    }

    @Test
    void stepsAreBoundedByBytesAndCarryEveryKeyOnce() throws IOException {
        servers.reset(0);
        Random random = new Random(3);
        long hlc = 1L << 40;
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            write(hlc++, "SET", "k:" + i, text(random, 1000));
            expected.add("0/k:" + i);
        }
        write(hlc++, "SET", "big", text(random, 3 * LinkSteps.SNAPSHOT_STEP_BYTES));
        expected.add("0/big");
        for (int i = 0; i < 20; i++) {
            write(hlc++, "DEL", "k:" + i);            // tombstones: sent from the metadata database
        }
        write(hlc++, "FLUSHDB");
        expected.clear();                             // the flush dropped every key before it
        for (int i = 0; i < 200; i++) {
            write(hlc++, "SET", "n:" + i, text(random, 1000));
            expected.add("0/n:" + i);
        }
        write(hlc++, "SET", "big", text(random, 3 * LinkSteps.SNAPSHOT_STEP_BYTES));
        expected.add("0/big");
        for (int i = 0; i < 20; i++) {
            write(hlc++, "DEL", "n:" + i);
        }

        List<List<LinkFrame>> steps;
        try (BackendClient conn = servers.access(0).open(2 * SimServers.DATABASES)) {
            steps = LinkSteps.snapshotSteps(conn, SimServers.DATABASES);
        }
        assertTrue(steps.get(0).stream().anyMatch(f -> f instanceof LinkFrame.SnapshotFlush),
                "the first step carries the flush epoch: " + steps.get(0));
        assertTrue(steps.get(0).stream().noneMatch(f -> f instanceof LinkFrame.SnapshotKey), "and no key");
        List<String> sent = new ArrayList<>();
        int keySteps = 0;
        for (List<LinkFrame> step : steps.subList(1, steps.size())) {
            long before = 0;          // the step's bytes before its last key
            long bytes = 0;
            for (LinkFrame f : step) {
                LinkFrame.SnapshotKey k = (LinkFrame.SnapshotKey) f;
                sent.add(k.db() + "/" + new String(k.key(), StandardCharsets.UTF_8));
                before = bytes;
                bytes += k.key().length + k.items().stream().mapToLong(b -> b.length).sum();
            }
            assertTrue(before < LinkSteps.SNAPSHOT_STEP_BYTES, "a step ends once past " + LinkSteps.SNAPSHOT_STEP_BYTES
                    + " bytes: " + before + " before its last key");
            keySteps += step.isEmpty() ? 0 : 1;
        }
        assertTrue(keySteps >= 4, "about 200 KB of keys and one of 192 KB take several steps: " + keySteps);
        Collections.sort(expected);
        Collections.sort(sent);
        assertEquals(expected, sent, "every key once, live and tombstones alike");
    }

    /** One client write through the apply library, stamped {@code hlc}. */
    private static void write(long hlc, String... command) throws IOException {
        List<byte[]> args = new ArrayList<>();
        for (String a : List.of("FCALL", "km_w", "0", "2", "0", Integer.toString(SimServers.DATABASES), NODE,
                Stamp.of(hlc, NODE), "0")) {
            args.add(Frames.bytes(a));
        }
        for (String a : command) {
            args.add(Frames.bytes(a));
        }
        Object reply = servers.data(0).call(args);
        assertTrue(!(reply instanceof io.keymesh.topology.wire.RespError), "write " + List.of(command) + ": " + reply);
    }

    private static String text(Random random, int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = (char) ('a' + random.nextInt(26));
        }
        return new String(out);
    }
}
