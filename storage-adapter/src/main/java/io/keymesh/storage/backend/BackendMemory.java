package io.keymesh.storage.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one home of the rule that keymesh's redis-server never evicts and never refuses keymesh's own
 * writes for memory (docs/design/security.md, "Metadata that cannot be lost"), and of the words that
 * explain it wherever a setting is refused: the managed redis.conf, an external server's check, the
 * node's config file, CONFIG SET through keymesh and the runtime watch.
 *
 * <p>Every maxmemory-policy but {@code noeviction} is refused, the {@code volatile-*} ones too: a
 * key's metadata carries the key's own expiry, so it is as evictable as the key, and evicting either
 * one is a local change no other node sees. User data is limited by {@code keymesh.maxmemory}, which
 * keymesh enforces itself with Redis' -OOM error, so the server runs with {@code maxmemory 0}.
 */
public final class BackendMemory {
    /** The only maxmemory-policy keymesh's redis-server may have. */
    public static final String NO_EVICTION = "noeviction";
    /** Why an eviction policy is refused (the end of every refusal). */
    public static final String WHY_NO_EVICTION = "an eviction would drop keymesh's merge metadata or replication log, "
            + "or a key no other node deletes, and nodes would silently diverge; keymesh.maxmemory limits user data instead";
    /** Why a memory limit on the redis-server itself is refused. */
    public static final String WHY_NO_SERVER_LIMIT = "a redis-server at its maxmemory refuses keymesh's own writes "
            + "(peers' replicated writes, deletes, log trimming); keymesh.maxmemory limits user data instead";
    /** Why persistence settings are kept out of reach of clients. */
    public static final String WHY_PERSISTENCE = "a crash would lose writes and the replication log peers pull; "
            + "the node's persistence is keymesh.storage.redis.appendonly and appendfsync";

    private BackendMemory() {
    }

    /** True for the one policy keymesh accepts ({@value #NO_EVICTION}, any case). */
    public static boolean safePolicy(String policy) {
        return policy != null && policy.trim().equalsIgnoreCase(NO_EVICTION);
    }

    /**
     * What an external server's INFO memory and INFO persistence fields mean for keymesh's data: an
     * eviction policy is refused ({@link BackendCheckException}); a server memory limit or AOF off are
     * accepted with the consequence returned as a warning each.
     *
     * @param where "redis-server at ..." for the messages
     * @param fields INFO memory and persistence fields (missing ones are not judged)
     */
    public static List<String> judge(String where, Map<String, String> fields) {
        String policy = fields.get("maxmemory_policy");
        if (policy != null && !safePolicy(policy)) {
            throw new BackendCheckException(where + " has maxmemory-policy " + policy + "; keymesh needs "
                    + NO_EVICTION + ": " + WHY_NO_EVICTION + " (set \"maxmemory-policy " + NO_EVICTION
                    + "\" in its redis.conf)");
        }
        List<String> warnings = new ArrayList<>();
        String limit = fields.get("maxmemory");
        if (limit != null && !limit.equals("0")) {
            warnings.add(where + " has maxmemory " + limit + ": once it is reached, " + WHY_NO_SERVER_LIMIT
                    + " (set \"maxmemory 0\" in its redis.conf)");
        }
        if ("0".equals(fields.get("aof_enabled"))) {
            warnings.add(where + " runs without AOF (appendonly no): a restart of it loses the writes since its last "
                    + "RDB save, their merge metadata and the replication log; the node then pulls what its peers still "
                    + "have, and its own writes that no peer had pulled are lost");
        }
        return warnings;
    }
}
