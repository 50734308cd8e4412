package io.keymesh.proxy.demo;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.ContainerState;
import org.testcontainers.containers.wait.strategy.Wait;

import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The container demo as the README walks through it: compose/Dockerfile built, compose/docker-compose.yml
 * up (two primaries, three replicas), a write on primary1 read on a replica, primary1 stopped, the
 * replica following primary2 and still serving. Needs a Docker engine and the compose plugin; where
 * either is missing the class is skipped with a message saying so (checked before anything starts, in
 * about a second).
 */
@EnabledIf(value = "dockerEngineWithCompose", disabledReason = "SKIPPED: no Docker engine with the compose plugin "
        + "answers on this machine (DOCKER_HOST or /var/run/docker.sock, and `docker compose version`); "
        + "ComposeDemoIT runs compose/docker-compose.yml where one does")
class ComposeDemoIT {
    private static final Path PROJECT_ROOT = Path.of("..").toAbsolutePath().normalize();
    private static ComposeContainer compose;
    private static final List<RedisClient> clients = new ArrayList<>();

    @BeforeAll
    static void up() throws URISyntaxException {
        File override = new File(ComposeDemoIT.class.getResource("/compose/no-host-ports.yml").toURI());
        compose = new ComposeContainer(PROJECT_ROOT.resolve("compose/docker-compose.yml").toFile(), override)
                .withLocalCompose(true)
                .withBuild(true)
                .withExposedService("primary1", 6401, Wait.forListeningPort().withStartupTimeout(Duration.ofMinutes(15)))
                .withExposedService("primary2", 6402, Wait.forListeningPort().withStartupTimeout(Duration.ofMinutes(5)))
                .withExposedService("replica1", 6501, Wait.forListeningPort().withStartupTimeout(Duration.ofMinutes(5)));
        compose.start();
    }

    @AfterAll
    static void down() {
        for (RedisClient c : clients) {
            c.shutdown(0, 1, TimeUnit.SECONDS);
        }
        if (compose != null) {
            compose.stop();                 // docker compose down: every container of the demo goes
        }
    }

    @Test
    void writeOnPrimary1ReadOnReplicaThenFailOverToPrimary2() throws Exception {
        StatefulRedisConnection<String, String> primary1 = connect("primary1", 6401);
        StatefulRedisConnection<String, String> replica = connect("replica1", 6501);
        assertEquals("OK", primary1.sync().set("key1", "val1"));
        await("key1 on replica1", 60_000, () -> "val1".equals(replica.sync().get("key1")));

        ContainerState p1 = compose.getContainerByServiceName("primary1-1")
                .or(() -> compose.getContainerByServiceName("primary1"))
                .orElseThrow(() -> new AssertionError("no primary1 container"));
        DockerClientFactory.instance().client().stopContainerCmd(p1.getContainerId()).withTimeout(20).exec();

        await("replica1 follows primary2 with its link up", 60_000, () -> {
            String info = replica.sync().info("replication");
            return info.contains("master_host:primary2") && info.contains("master_link_status:up");
        });
        assertEquals("val1", replica.sync().get("key1"), "the replica keeps its data across the failover");
        StatefulRedisConnection<String, String> primary2 = connect("primary2", 6402);
        primary2.sync().set("key2", "after-failover");
        await("a write at primary2 reaches replica1", 30_000, () -> "after-failover".equals(replica.sync().get("key2")));
    }

    private static StatefulRedisConnection<String, String> connect(String service, int port) {
        RedisClient client = RedisClient.create(RedisURI.create(compose.getServiceHost(service, port),
                compose.getServicePort(service, port)));
        client.setDefaultTimeout(Duration.ofSeconds(10));
        clients.add(client);
        return client.connect();
    }

    /** The class runs only where a Docker engine answers and {@code docker compose} is installed. */
    static boolean dockerEngineWithCompose() {
        return DockerClientFactory.instance().isDockerAvailable() && composePluginPresent();
    }

    private static boolean composePluginPresent() {
        try {
            Process p = new ProcessBuilder("docker", "compose", "version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static void await(String what, long timeoutMillis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                // the node is still starting or switching: try again
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeoutMillis + " ms waiting for " + what);
            }
            Thread.sleep(200);
        }
    }
}
