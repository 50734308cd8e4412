package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.StatefulRedisConnection;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** A peer whose timestamps run 10 s ahead is refused, and the receiving node says so in INFO. */
class ClockSkewIT extends MeshTest {

    @Test
    void operationsFromAPeerWithAClockTenSecondsAheadAreRefusedAndReported() {
        mesh = MeshFixture.start(2);
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        a.sync().set("ready", "1");
        Await.value(CONVERGE, b, "ready", "1");
        String origin = a.nodeId();
        assertNotNull(origin, "A wrote its node id to " + a.dataDir().resolve("node-id"));

        // A write that A's log records with a timestamp 10 s in the future, as a node with a fast
        // clock would write it: through the documented local-write function on A's own redis-server.
        long aheadMillis = System.currentTimeMillis() + 10_000;
        String stamp = String.format("%016x", aheadMillis << 16) + origin;
        try (StatefulRedisConnection<String, String> backend = a.connectBackend()) {
            RawCommand.call(backend, "SELECT", "0");
            Object reply = RawCommand.call(backend, "FCALL", "km_w", "0", "2", "0", Integer.toString(MeshFixture.DATABASES),
                    origin, stamp, "0", "SET", "from-the-future", "v");
            assertEquals("OK", reply);
        }

        Await.until(Duration.ofSeconds(5), "B reports the refused clock in INFO replication",
                () -> reportsClockRefusal(b.sync().info("replication")),
                () -> b.sync().info("replication"));
        assertNull(b.sync().get("from-the-future"), "the operation from the future was not applied");
        assertTrue(b.sync().ping().equals("PONG"), "B keeps serving its clients");
    }

    @Test
    void aPeerWhoseOwnClockRunsTenSecondsAheadIsRefusedWithAClearReport() {
        mesh = MeshFixture.builder().nodes(2).clockSkew(1, 10_000).start();
        MeshNode a = mesh.node(0);
        Await.until(CONVERGE, "A counts the clock refusal and says by how much", () -> {
            Map<String, String> info = a.info("replication");
            return Long.parseLong(info.get("mesh_clock_refusals")) >= 1
                    && info.get("mesh_last_refusal").matches(".*clock ahead by (99[0-9][0-9]|100[0-9][0-9]) ms "
                    + "\\(max-clock-offset 500 ms\\).*");
        }, () -> a.sync().info("replication"));
        Await.until(CONVERGE, "A refuses to pull from B", () -> {
            String peer = a.info("replication").get("peer0");
            return peer.contains("state=refused") && peer.contains("peer clock ahead by");
        }, () -> a.sync().info("replication"));
    }

    /** A refusal counter about clocks above zero, or a line that says a clock was refused or ahead. */
    private static boolean reportsClockRefusal(String info) {
        String text = info.toLowerCase(Locale.ROOT);
        Matcher m = Pattern.compile("([a-z_]*clock[a-z_]*)[=:]([1-9][0-9]*)").matcher(text);
        while (m.find()) {
            if (m.group(1).contains("refus") || m.group(1).contains("reject")) {
                return true;
            }
        }
        return text.lines().anyMatch(l -> l.contains("clock") && (l.contains("refus") || l.contains("ahead")));
    }
}
