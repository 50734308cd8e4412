package io.keymesh.storage.merge;

/**
 * How a replicated write combines with concurrent writes from other nodes; one constant per row
 * of the merge table in docs/design/merge.md.
 *
 * <p>The command table in the proxy hangs exactly one rule on every write command. Rules describe
 * semantics only; the atomic apply code that enforces them lives in this module's apply library.
 */
public enum MergeRule {
    /** Whole-key last-write-wins register (SET family, APPEND, SETRANGE, bit ops, RESTORE). */
    LWW_REGISTER,
    /** Counter: concurrent INCR/INCRBY/DECR/DECRBY/INCRBYFLOAT all count; a SET resets what it saw. */
    COUNTER,
    /** Hash: last-write-wins per field, HDEL leaves a field tombstone (HINCRBY: last write wins on the field for now). */
    HASH_FIELD,
    /** Set: add/remove per element, last-write-wins, add wins a tie. */
    SET_ELEMENT,
    /** Sorted set: last-write-wins membership and score per element (ZINCRBY: last write wins for now). */
    ZSET_ELEMENT,
    /** List: per element (pushes kept in one order by id, removals by id); LSET/LINSERT whole list; pops at-least-once. */
    LIST_OPS,
    /**
     * Stream: per entry (XADD, XDEL tombstones, trims as stamped floors) and per consumer group and
     * pending entry (XGROUP, XREADGROUP, XACK, XCLAIM, XAUTOCLAIM), see merge.md "Streams".
     */
    STREAM_OPS,
    /** HyperLogLog: for now the whole HLL at the stamp (last write wins per key, see merge.md). */
    HLL_MERGE,
    /** DEL/UNLINK: observed-remove tombstone, removes what it has seen, not concurrent later writes. */
    KEY_DELETE,
    /** EXPIRE family: absolute expiry time as its own last-write-wins register per key. */
    EXPIRY,
    /** FLUSHDB/FLUSHALL: epoch tombstone for a whole database. */
    DB_FLUSH,
    /** Multi-key commands (RENAME, COPY, MOVE, *STORE, LMOVE, SMOVE ...) expressed as the rules above. */
    COMPOSITE,
    /** Scripts and functions: not replicated yet; km_w refuses EVAL/EVALSHA/FCALL with a clear error. */
    SCRIPT_EFFECTS,
    /** Commands whose effect is not data (SWAPDB and the like) and cannot be merged: refused when replicating. */
    NOT_REPLICABLE
}
