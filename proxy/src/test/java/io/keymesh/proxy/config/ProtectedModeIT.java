package io.keymesh.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.keymesh.proxy.testsupport.Teardown;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * {@code keymesh start} of a node that would expose unauthenticated links beyond loopback exits at
 * once with an error naming keymesh.cluster-secret, before it starts a redis-server or binds a port.
 */
class ProtectedModeIT {

    @Test
    void aPrimaryOnEveryInterfaceWithPeersAndNoSecretRefusesToStart() throws Exception {
        Path dir = Files.createTempDirectory("keymesh-protected-");
        try {
            Path conf = dir.resolve("node.conf");
            Files.writeString(conf, "keymesh {\n  bind = \"0.0.0.0\"\n  port = 0\n  data-dir = \"" + dir.resolve("data")
                    + "\"\n  peers = [\"127.0.0.1:1\"]\n}\n");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-XX:TieredStopAtLevel=1");
            command.add("-cp");
            String cp = System.getProperty("surefire.test.class.path");
            command.add(cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path"));
            command.add("io.keymesh.proxy.Main");
            command.add("start");
            command.add(conf.toString());
            Path out = dir.resolve("out.log");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keymesh did not exit");
                String output = Files.readString(out);
                assertEquals(2, p.exitValue(), output);
                assertTrue(output.contains("keymesh: bad configuration") && output.contains("protected mode")
                        && output.contains("keymesh.cluster-secret") && output.contains("0.0.0.0"), output);
                assertFalse(output.contains("keymesh ready"), output);
                assertFalse(Files.exists(dir.resolve("data").resolve("redis")), "no redis-server was set up");
            } finally {
                Teardown.stopProcess(p);
            }
        } finally {
            Teardown.deleteTree(dir);
        }
    }
}
