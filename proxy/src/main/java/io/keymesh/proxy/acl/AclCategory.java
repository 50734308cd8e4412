package io.keymesh.proxy.acl;

import java.util.List;
import java.util.Locale;

/** Redis 7.0's ACL command categories in ACL CAT's order; a command's categories are a bit mask over this list. */
public final class AclCategory {
    /** Every category, as ACL CAT lists them. */
    public static final List<String> NAMES = List.of(
            "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
            "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
            "transaction", "scripting");

    private AclCategory() {
    }

    /** The bit of category {@code name} ("read", "@read" or "READ"), or 0 when there is no such category. */
    public static int bit(String name) {
        String n = name.startsWith("@") ? name.substring(1) : name;
        int i = NAMES.indexOf(n.toLowerCase(Locale.ROOT));
        return i < 0 ? 0 : 1 << i;
    }
}
