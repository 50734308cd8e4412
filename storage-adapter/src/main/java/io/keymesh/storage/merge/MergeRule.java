package io.keymesh.storage.merge;

/**
 * How a replicated write combines with concurrent writes from other nodes; one constant per
 * "merged as" of the table in docs/design/merge.md.
 *
 * <p>{@link WriteCommands} gives every write command exactly one rule, and the apply library
 * dispatches on it: {@link LibraryFacts} hands the library each command's rule, so the rule a
 * command has here is the code path its writes take there.
 */
public enum MergeRule {
    /**
     * Whole-key register: each key the command writes is logged as its full state (value and
     * expiry) at the stamp, or as a delete tombstone when the command left it empty.
     */
    LWW_REGISTER(null, false),
    /** Counter: concurrent INCR/INCRBY/DECR/DECRBY/INCRBYFLOAT all count; a whole-key write resets what it saw. */
    COUNTER(null, false),
    /** Hash field: last write wins per field; HDEL leaves a field tombstone. */
    HASH_FIELD("hash", false),
    /** Hash field counter (HINCRBY, HINCRBYFLOAT): concurrent increments of one field all count. */
    HASH_FIELD_COUNTER("hash", true),
    /** Set member: added or removed at the stamp, last write wins per member (SMOVE: both sets). */
    SET_ELEMENT("set", false),
    /** Sorted-set member: score or removal at the stamp, last write wins per member. */
    ZSET_ELEMENT("zset", false),
    /** Sorted-set score counter (ZINCRBY): concurrent increments of one member all count. */
    ZSET_SCORE_COUNTER("zset", true),
    /** List: per element (pushes in one order by id, removals by id); pops at-least-once across nodes. */
    LIST_OPS(null, false),
    /**
     * Stream: per entry (XADD, XDEL tombstones, trims as stamped floors) and per consumer group and
     * pending entry (XGROUP, XREADGROUP, XACK, XCLAIM, XAUTOCLAIM), see merge.md "Streams".
     */
    STREAM_OPS(null, false),
    /** Key delete: observed-remove tombstone; removes what it has seen, not concurrent later writes. */
    KEY_DELETE(null, false),
    /** Expiry: the absolute expiry time as a last-write-wins register of its own per key. */
    EXPIRY(null, false),
    /** Database flush: an epoch tombstone for a whole database. */
    DB_FLUSH(null, false),
    /**
     * This node's own state that is never merged (a stream's last ID: XSETID; a consumer created
     * ahead of reading: XGROUP CREATECONSUMER): applied here, not logged, not replicated.
     */
    NODE_LOCAL(null, false),
    /** Cannot be merged (its effect is not per key): refused while replicating, nothing changes. */
    NOT_REPLICABLE(null, false);

    private final String memberType;
    private final boolean countsMembers;

    MergeRule(String memberType, boolean countsMembers) {
        this.memberType = memberType;
        this.countsMembers = countsMembers;
    }

    /** The Redis type whose members this rule merges one by one ("hash", "set", "zset"), or null for whole keys. */
    public String memberType() {
        return memberType;
    }

    /** True for the per-member counters (HASH_FIELD_COUNTER, ZSET_SCORE_COUNTER). */
    public boolean countsMembers() {
        return countsMembers;
    }
}
