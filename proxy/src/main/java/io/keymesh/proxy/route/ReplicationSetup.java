package io.keymesh.proxy.route;

import io.keymesh.storage.apply.ApplyLibrary;
import io.keymesh.storage.apply.ReplicationLog;
import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.storage.backend.LettuceUris;
import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.clock.Stamp;
import io.keymesh.topology.wire.LogEntry;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Prepares the backend for the replicated write path, before clients are served: loads the keymesh
 * function library ({@link ApplyLibrary#load}, at start and after every backend restart) and,
 * at start, moves the node's clock past the newest stamp in the local log (db 2N, the streams
 * {@link ReplicationLog#LOG_KEY_PATTERN} matches), so that a restarted node never issues a timestamp lower than one it issued or
 * applied before, even if the wall clock went back.
 */
public final class ReplicationSetup {
    private static final Logger log = LoggerFactory.getLogger(ReplicationSetup.class);
    /** Log entries read from the end of each log to seed the clock. */
    private static final int TAIL_ENTRIES = 64;

    private final BackendEndpoint endpoint;
    private final String username;
    private final String password;
    private final Duration timeout;
    private final int userDatabases;

    public ReplicationSetup(BackendEndpoint endpoint, String username, String password, Duration timeout,
                            int userDatabases) {
        this.endpoint = endpoint;
        this.username = username;
        this.password = password;
        this.timeout = timeout;
        this.userDatabases = userDatabases;
    }

    /** Loads (or reloads) the function library; throws with Redis' error when it does not load. */
    public void loadLibrary() {
        run(redis -> {
            String name = ApplyLibrary.load(redis);
            log.info("function library '{}' loaded into the backend", name);
            return null;
        });
    }

    /** Advances {@code clock} to the newest stamp of every origin's log in the backend; returns that HLC (0 if none). */
    public long seedClock(HybridClock clock) {
        long newest = run(this::newestLoggedHlc);
        clock.advanceTo(newest);
        return newest;
    }

    private long newestLoggedHlc(RedisCommands<String, String> redis) {
        redis.select(2 * userDatabases);
        long newest = 0;
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches(ReplicationLog.LOG_KEY_PATTERN).limit(100));
            for (String key : page.getKeys()) {
                String stamp = lastEntryStamp(redis, key);
                if (stamp == null) {
                    continue;
                }
                try {
                    long hlc = Stamp.hlc(stamp);
                    if (Long.compareUnsigned(hlc, newest) > 0) {
                        newest = hlc;
                    }
                } catch (IllegalArgumentException e) {
                    log.warn("log {} ends with an unreadable stamp \"{}\"; ignored for the clock", key, stamp);
                }
            }
            cursor = page;
        } while (!cursor.isFinished());
        return newest;
    }

    /**
     * The newest stamp ({@link LogEntry#stamp}) of the last {@link #TAIL_ENTRIES} entries of log stream
     * {@code key}, or null: an entry can be logged just after one with a later stamp (stamps are taken
     * before the call that logs them), and the housekeeping's marks rely on the clock being past every logged
     * stamp. Read as raw fields, since an entry of several plain SETs has a field t per SET and a
     * field map would keep only one.
     */
    @SuppressWarnings("unchecked")
    private static String lastEntryStamp(RedisCommands<String, String> redis, String key) {
        CommandArgs<String, String> args = new CommandArgs<>(StringCodec.UTF8).addKey(key).add("+").add("-").add("COUNT")
                .add(TAIL_ENTRIES);
        List<Object> reply = redis.dispatch(CommandType.XREVRANGE, new NestedMultiOutput<>(StringCodec.UTF8), args);
        String newest = null;
        for (Object entry : reply) {
            List<byte[]> fields = new ArrayList<>();
            for (Object f : (List<Object>) ((List<Object>) entry).get(1)) {
                fields.add(((String) f).getBytes(StandardCharsets.UTF_8));
            }
            String stamp = fields.size() % 2 == 0 ? new LogEntry(0, fields).stamp() : null;
            if (stamp != null && (newest == null || stamp.compareTo(newest) > 0)) {
                newest = stamp;
            }
        }
        return newest;
    }

    private <T> T run(java.util.function.Function<RedisCommands<String, String>, T> work) {
        ClientResources resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        try {
            RedisClient client = RedisClient.create(resources, uri());
            client.setOptions(ClientOptions.builder().autoReconnect(false).build());
            try (StatefulRedisConnection<String, String> connection = client.connect()) {
                return work.apply(connection.sync());
            } finally {
                client.shutdown(0, 2, TimeUnit.SECONDS);
            }
        } finally {
            resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
    }

    private RedisURI uri() {
        return LettuceUris.of(endpoint, username, password, timeout, "keymesh-setup");
    }
}
