package io.keymesh.storage.backend;

import io.keymesh.storage.retry.Backoff;
import io.keymesh.storage.time.TimeSource;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisLoadingException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies that a Redis server can be keymesh's backend: Redis >= 7.0 with FUNCTION, a master, and
 * no eviction policy ({@link BackendMemory}; a server memory limit or AOF off are logged as warnings).
 *
 * <p>Used for the managed server after it starts and, in external mode
 * ({@code storage.redis.mode = external}), for a server keymesh never starts or stops.
 */
public final class BackendCheck {
    private static final Logger log = LoggerFactory.getLogger(BackendCheck.class);

    /** Databases assumed when CONFIG GET is not permitted (Redis' default). */
    static final int DEFAULT_DATABASES = 16;
    private static final Duration LOADING_RETRY_MIN = Duration.ofMillis(10);
    private static final Duration LOADING_RETRY_MAX = Duration.ofMillis(100);

    private BackendCheck() {
    }

    /** Same as {@link #check(BackendEndpoint, String, String, Duration)} with the address' credentials. */
    public static BackendInfo check(BackendAddress address, Duration timeout) {
        return check(address.endpoint(), address.username(), address.password(), timeout);
    }

    /**
     * Connects to {@code endpoint}, authenticating when {@code password} is non-null, and checks it.
     * A server that is still loading its dataset (-LOADING) is retried until {@code timeout}.
     *
     * @param username ACL user, or null for the default user
     * @param password password, or null for none
     * @param timeout bound on connecting, each command and the whole wait for -LOADING to clear
     * @throws BackendCheckException naming the endpoint and what was expected vs. found
     */
    public static BackendInfo check(BackendEndpoint endpoint, String username, String password, Duration timeout) {
        return check(endpoint, username, password, timeout, TimeSource.system());
    }

    /** The same, with the wait for -LOADING to clear measured on {@code time}. */
    public static BackendInfo check(BackendEndpoint endpoint, String username, String password, Duration timeout,
                                    TimeSource time) {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(timeout, "timeout");
        String where = "redis-server at " + endpoint;
        long deadline = time.monotonicNanos() + timeout.toNanos();
        RedisURI uri = uri(endpoint, username, password, timeout);
        ClientResources resources = DefaultClientResources.builder()
                .ioThreadPoolSize(2) // Lettuce's minimum; threads start lazily
                .computationThreadPoolSize(2)
                .build();
        try {
            RedisClient client = RedisClient.create(resources, uri);
            client.setOptions(ClientOptions.builder()
                    .autoReconnect(false)
                    .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
                    .build());
            try {
                boolean loggedLoading = false;
                int connectTries = 0;
                Backoff loadingPolls = new Backoff(LOADING_RETRY_MIN.toMillis(), LOADING_RETRY_MAX.toMillis());
                while (true) {
                    try {
                        return checkOnce(client, where);
                    } catch (RuntimeException e) {
                        if (isTornHandshake(e) && ++connectTries < CONNECT_TRIES
                                && time.monotonicNanos() < deadline) {
                            log.debug("{}: connection ended during the client's handshake, connecting again", where);
                            continue;
                        }
                        if (!isLoading(e)) {
                            throw e;
                        }
                        long delayMs = loadingPolls.next();
                        if (time.monotonicNanos() + delayMs * 1_000_000 > deadline) {
                            throw new BackendCheckException(where + " is still loading its dataset after "
                                    + timeout.toMillis() + " ms; keymesh needs it ready to serve commands", e);
                        }
                        if (!loggedLoading) {
                            loggedLoading = true;
                            log.info("{} is loading its dataset; waiting up to {} ms", where, timeout.toMillis());
                        }
                        sleep(delayMs);
                    }
                }
            } finally {
                client.shutdown(0, 2, TimeUnit.SECONDS);
            }
        } catch (BackendCheckException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BackendCheckException(describeFailure(where, username, password, e), e);
        } finally {
            resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }
    }

    /** Connections tried when each ends inside the client's handshake. */
    private static final int CONNECT_TRIES = 3;

    private static BackendInfo checkOnce(RedisClient client, String where) {
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            redis.ping(); // the one command refused with -LOADING while the dataset loads
            Map<String, String> info = parseInfo(redis.info("server"));
            int databases = DEFAULT_DATABASES;
            try {
                String value = redis.configGet("databases").get("databases");
                if (value != null) {
                    databases = Integer.parseInt(value.trim());
                }
            } catch (RedisCommandExecutionException e) {
                if (isLoading(e)) {
                    throw e;
                }
                log.debug("{}: CONFIG GET databases not permitted ({}); assuming {}", where, e.getMessage(),
                        DEFAULT_DATABASES);
            }
            List<Object> commandInfo = redis.commandInfo("function");
            boolean hasFunction = commandInfo != null && !commandInfo.isEmpty() && commandInfo.get(0) != null;
            List<Object> role;
            try {
                role = redis.role();
            } catch (RedisCommandExecutionException e) {
                if (isLoading(e)) {
                    throw e;
                }
                // ROLE denied (ACL): INFO replication says the same thing.
                String r = parseInfo(redis.info("replication")).getOrDefault("role", "unknown");
                role = List.of(r);
            }
            BackendInfo checked = evaluate(where, info, databases, hasFunction, role);
            Map<String, String> memory = parseInfo(redis.info("memory"));
            memory.putAll(parseInfo(redis.info("persistence")));
            for (String warning : BackendMemory.judge(where, memory)) {
                log.warn(warning);
            }
            return checked;
        }
    }

    /**
     * Decides from what the server reported; pure so its messages can be unit tested.
     *
     * @param info the fields of INFO server
     * @param role the ROLE reply (first element "master", "slave" or "sentinel")
     */
    static BackendInfo evaluate(String where, Map<String, String> info, int databases, boolean hasFunction,
            List<Object> role) {
        String version = info.get("redis_version");
        if (version == null) {
            throw new BackendCheckException(where + " did not report redis_version in INFO server; keymesh needs Redis >= "
                    + shortVersion(BackendVersion.MINIMUM));
        }
        boolean recent;
        try {
            recent = BackendVersion.isAtLeast(version, BackendVersion.MINIMUM);
        } catch (IllegalArgumentException e) {
            throw new BackendCheckException(where + " reports an unreadable version \"" + version
                    + "\"; keymesh needs Redis >= " + shortVersion(BackendVersion.MINIMUM), e);
        }
        if (!recent) {
            throw new BackendCheckException(where + " is version " + version + "; keymesh needs Redis >= "
                    + shortVersion(BackendVersion.MINIMUM));
        }
        String mode = info.getOrDefault("redis_mode", "standalone");
        if (mode.equals("sentinel")) {
            throw new BackendCheckException(where + " is a Redis Sentinel; keymesh needs a data-serving redis-server");
        }
        if (!hasFunction) {
            throw new BackendCheckException(where + " (version " + version + ") has no FUNCTION command "
                    + "(COMMAND INFO function is empty: renamed or disabled?); keymesh needs FUNCTION");
        }
        String roleName = role == null || role.isEmpty() || role.get(0) == null ? "unknown" : role.get(0).toString();
        if (!roleName.equals("master")) {
            String of = roleName.equals("slave") && role.size() >= 3 ? " of " + role.get(1) + ":" + role.get(2) : "";
            throw new BackendCheckException(where + " has role " + roleName + of
                    + "; keymesh needs a master (a server that is not a replica of anything)");
        }
        long pid;
        try {
            pid = Long.parseLong(info.getOrDefault("process_id", "-1").trim());
        } catch (NumberFormatException e) {
            pid = -1;
        }
        return new BackendInfo(version, databases, mode, pid);
    }

    /**
     * Checks that a backend that passed {@link #check} has the databases replication needs: {@code 2N + 1}
     * for {@code N} user databases (user data, its metadata, the log). A managed redis-server is started
     * with them; an external one must be configured with them.
     *
     * @throws BackendCheckException naming the endpoint, what it has and the redis.conf line to add
     */
    public static void requireDatabases(BackendEndpoint endpoint, BackendInfo info, int userDatabases) {
        int required = 2 * userDatabases + 1;
        if (info.databases() < required) {
            throw new BackendCheckException("redis-server at " + endpoint + " has " + info.databases()
                    + " databases; with replication on, keymesh needs " + required + " (2 x keymesh.storage.redis.databases = "
                    + userDatabases + ", plus 1: user data, merge metadata and the replication log): set \"databases "
                    + required + "\" in its redis.conf, or lower keymesh.storage.redis.databases");
        }
    }

    /** Parses an INFO reply ("key:value" lines, "#" section headers) into a map. */
    public static Map<String, String> parseInfo(String info) {
        Map<String, String> fields = new HashMap<>();
        if (info == null) {
            return fields;
        }
        for (String line : info.split("\r?\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
            }
        }
        return fields;
    }

    private static RedisURI uri(BackendEndpoint endpoint, String username, String password, Duration timeout) {
        return LettuceUris.of(endpoint, username, password, timeout, "keymesh-backend-check");
    }

    /**
     * True when the client's connection ended inside its own handshake with no reply from Redis
     * naming why (the client reports its pipeline torn down, not an error of the server): worth one
     * more connection, whose handshake then gets the server's answer (NOAUTH, WRONGPASS, ...).
     */
    private static boolean isTornHandshake(Throwable e) {
        if (!(e instanceof RedisConnectionException)) {
            return false;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RedisCommandExecutionException) {
                return false;
            }
            if (t.getMessage() != null && t.getMessage().contains("HandshakeHandler not registered")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isLoading(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RedisLoadingException) {
                return true;
            }
            if (t instanceof RedisCommandExecutionException && t.getMessage() != null
                    && t.getMessage().startsWith("LOADING")) {
                return true;
            }
        }
        return false;
    }

    private static String describeFailure(String where, String username, String password, Throwable e) {
        StringBuilder causes = new StringBuilder();
        String auth = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            String upper = m.toUpperCase(Locale.ROOT);
            if (upper.startsWith("WRONGPASS") || upper.startsWith("NOAUTH") || upper.startsWith("NOPERM")
                    || upper.contains("INVALID PASSWORD") || upper.contains("AUTH <PASSWORD> CALLED WITHOUT")) {
                auth = m;
            }
            if (causes.indexOf(m) >= 0) {
                continue; // Lettuce repeats a cause's message in its wrapper
            }
            if (causes.length() > 0) {
                causes.append(": ");
            }
            causes.append(m);
        }
        if (auth != null) {
            String as = password == null ? "without a password"
                    : "as user " + (username == null ? "default" : "'" + username + "'");
            return where + " refused keymesh's connection " + as + ": " + auth;
        }
        String verb = e instanceof RedisConnectionException ? "cannot connect to " : "cannot use ";
        return verb + where + ": " + causes;
    }

    private static String shortVersion(String version) {
        return version.endsWith(".0") ? version.substring(0, version.length() - 2) : version;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendCheckException("interrupted while waiting for the backend to load its dataset", e);
        }
    }
}
