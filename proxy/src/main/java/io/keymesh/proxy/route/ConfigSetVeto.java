package io.keymesh.proxy.route;

import io.keymesh.proxy.resp.RespRequest;
import io.keymesh.storage.backend.BackendMemory;

import java.util.Locale;
import java.util.Set;

/**
 * The CONFIG SET parameters keymesh refuses, with why: those that would cut keymesh off its
 * redis-server or move its data, and those that would let the server evict, refuse keymesh's own
 * writes, or lose the replication log on a crash ({@link BackendMemory}), or store DUMP payloads
 * unchecked. A request naming one of
 * them is refused whole, as Redis refuses a CONFIG SET with one bad parameter.
 */
final class ConfigSetVeto {
    /** Parameters that would cut keymesh off its backend or move its data. */
    static final Set<String> PROTECTED = Set.of(
            "dir", "dbfilename", "port", "tls-port", "bind", "bind-source-addr", "unixsocket", "unixsocketperm",
            "requirepass", "masterauth", "masteruser", "replicaof", "slaveof", "logfile", "pidfile", "daemonize",
            "appenddirname", "appendfilename", "aclfile", "protected-mode", "enable-debug-command",
            "enable-module-command", "enable-protected-configs", "rename-command", "io-threads", "databases");

    private ConfigSetVeto() {
    }

    /** The error for a CONFIG SET request keymesh refuses, or null when every parameter may be set. */
    static String refusal(RespRequest r) {
        for (int i = 2; i + 1 < r.argc(); i += 2) {
            String parameter = r.argString(i).toLowerCase(Locale.ROOT);
            String value = r.argString(i + 1).trim();
            String why = why(parameter, value);
            if (why != null) {
                String what = parameter.startsWith("maxmemory") ? parameter + " " + value : parameter;
                return "ERR CONFIG SET " + what + " is not allowed through keymesh: " + why;
            }
        }
        return null;
    }

    private static String why(String parameter, String value) {
        if (PROTECTED.contains(parameter)) {
            return "the node manages this setting of its redis-server";
        }
        return switch (parameter) {
            case "maxmemory-policy" -> BackendMemory.safePolicy(value) ? null : BackendMemory.WHY_NO_EVICTION;
            case "maxmemory" -> value.equals("0") ? null : BackendMemory.WHY_NO_SERVER_LIMIT;
            case "maxmemory-clients" -> value.equals("0") ? null
                    : "client eviction could close keymesh's own connections to its redis-server";
            case "appendonly", "appendfsync", "save" -> BackendMemory.WHY_PERSISTENCE;
            case "min-replicas-to-write", "min-slaves-to-write" -> value.equals("0") ? null
                    : "the node's redis-server has no replicas, so it would refuse every write, its peers' too; "
                    + "keymesh.min-replicas-to-write is the node's write quorum";
            case "sanitize-dump-payload" -> value.equalsIgnoreCase("no")
                    ? "a DUMP payload corrupt inside yet signed with a right checksum (a RESTORE's, a peer's snapshot key's)"
                    + " would be stored unchecked and could stop the node's redis-server" : null;
            case "maxclients" -> "only keymesh connects to its redis-server; a low limit would lock keymesh's own "
                    + "connections out";
            default -> null;
        };
    }
}
