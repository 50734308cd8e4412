package io.keymesh.topology.sim;

import io.keymesh.storage.apply.ApplyLibrary;
import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.storage.process.RedisProcess;
import io.keymesh.storage.process.RedisServerSpec;
import io.keymesh.topology.link.BackendAccess;
import io.keymesh.topology.link.BackendClient;
import io.keymesh.topology.wire.Frames;
import io.keymesh.topology.wire.RespError;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The real redis-servers of a simulation process, one per simulated node, started once and reused by
 * every seed: {@link #reset} empties them and loads the apply library afresh. Each has 2N+1
 * databases, no persistence of its own between seeds, and DEBUG allowed from local connections (a
 * node's redis-server restart is {@code DEBUG RELOAD}: save, empty, load the saved file).
 */
final class SimServers implements AutoCloseable {
    /** N, the user databases of every simulated node. */
    static final int DATABASES = 2;

    private final Path dir;
    private final List<RedisProcess> processes = new ArrayList<>();
    private final List<BackendClient> state = new ArrayList<>();
    private final List<BackendClient> data = new ArrayList<>();
    private final List<BackendAccess> access = new ArrayList<>();

    SimServers(int count) {
        try {
            dir = Files.createTempDirectory("keymesh-sim");
            for (int i = 0; i < count; i++) {
                RedisProcess p = new RedisProcess(RedisServerSpec.defaults(dir.resolve("node" + i))
                        .withDatabases(2 * DATABASES + 1).withAppendOnly(false, "no")
                        .withExtraConfig("enable-debug-command", "local"));
                processes.add(p);
                p.start(Duration.ofSeconds(10));
                BackendAccess a = new BackendAccess(new BackendEndpoint.UnixSocket(p.socketPath()), null, null, 5000);
                access.add(a);
                state.add(a.open(2 * DATABASES));
                data.add(a.open(0));
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    int size() {
        return processes.size();
    }

    /** Server {@code i}'s connection with the node-state database (2N) selected. */
    BackendClient state(int i) {
        return state.get(i);
    }

    /** How to open more connections to server {@code i} (a snapshot's scans). */
    BackendAccess access(int i) {
        return access.get(i);
    }

    /** Server {@code i}'s connection with user database 0 selected (client writes, digests). */
    BackendClient data(int i) {
        return data.get(i);
    }

    /**
     * Empties server {@code i}: a node that never ran, with this build's apply library loaded (FLUSHALL
     * keeps functions, so the library is loaded again only when another version is there).
     */
    void reset(int i) throws IOException {
        BackendClient c = data.get(i);
        c.ok(List.of("FLUSHALL"));
        Object loaded = c.call("FCALL", "km_version", "0");
        if (loaded instanceof RespError || !ApplyLibrary.version().equals(Frames.text(loaded))) {
            c.ok(List.of("FUNCTION", "LOAD", "REPLACE", ApplyLibrary.source()));
        }
    }

    @Override
    public void close() {
        state.forEach(BackendClient::close);
        data.forEach(BackendClient::close);
        for (RedisProcess p : processes) {
            p.close();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException ignored) {
                // a temp dir left behind
            }
        }
    }
}
