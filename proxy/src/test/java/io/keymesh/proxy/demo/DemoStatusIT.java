package io.keymesh.proxy.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/keymesh demo status} on nodes that are not running as their pid files say: the table
 * still prints every row and exits 0, whatever the pid file points at and whatever the log holds.
 * No node is started; the pid files point at a process of the test's own or at none.
 */
class DemoStatusIT {
    private final Path projectRoot = Path.of("..").toAbsolutePath().normalize();
    private Path root;
    private Process stranger;

    @BeforeEach
    void demoWithOneNode() throws Exception {
        root = Files.createTempDirectory("keymesh-demo-status-it");
        Path conf = Files.createDirectories(root.resolve("conf"));
        String text = Files.readString(projectRoot.resolve("conf/demo/primary1.conf"));
        Files.writeString(conf.resolve("primary1.conf"), text.replace("6401", "1"));
        Files.createDirectories(root.resolve("data"));
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (stranger != null) {
            stranger.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void aPidFileNamingAnotherLiveProcessWithAnEmptyLogShowsTheNodeExited() throws Exception {
        // e.g. a status read while the launched child had not yet become the node's process
        stranger = new ProcessBuilder("sleep", "60").start();
        Files.writeString(root.resolve("data/primary1.pid"), stranger.pid() + "\n");
        Files.writeString(root.resolve("data/primary1.log"), "");

        String out = status();
        assertTrue(out.lines().anyMatch(l -> l.matches("primary1\\s+1\\s+-\\s+exited\\s.*")), out);
        assertTrue(out.contains("primary1 exited; last log line: "), out);
        assertTrue(stranger.isAlive(), "status leaves a process that is not the node's alone");
    }

    @Test
    void aNodeThatDiedShowsExitedWithItsLastLogLine() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor(10, TimeUnit.SECONDS);
        Files.writeString(root.resolve("data/primary1.pid"), gone.pid() + "\n");
        Files.writeString(root.resolve("data/primary1.log"), "starting\nbind failed: port in use\n\n");

        String out = status();
        assertTrue(out.lines().anyMatch(l -> l.matches("primary1\\s+1\\s+-\\s+exited\\s.*")), out);
        assertTrue(out.contains("primary1 exited; last log line: bind failed: port in use"), out);
    }

    @Test
    void aNodeWithoutAPidFileOrLogShowsStopped() throws Exception {
        String out = status();
        assertTrue(out.lines().anyMatch(l -> l.matches("primary1\\s+1\\s+-\\s+stopped\\s.*")), out);
    }

    private String status() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(projectRoot.resolve("bin/keymesh").toString(), "demo", "status")
                .directory(root.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("KEYMESH_DEMO_CONF", root.resolve("conf").toString());
        pb.environment().put("KEYMESH_DEMO_DATA", root.resolve("data").toString());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "demo status finished");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "bin/keymesh demo status failed:\n" + text);
        return text;
    }
}
