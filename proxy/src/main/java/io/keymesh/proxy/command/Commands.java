package io.keymesh.proxy.command;

import static io.keymesh.proxy.command.CommandClass.*;
import static io.keymesh.proxy.command.Handling.*;
import static io.keymesh.proxy.command.KeySpec.NONE;
import static io.keymesh.proxy.command.KeySpec.keys;
import static io.keymesh.proxy.command.KeySpec.movable;

import io.keymesh.storage.merge.WriteCommands;
import java.util.Set;
import java.util.TreeSet;

/**
 * The standard command table: one row for every command and subcommand of Redis 7.0 (checked
 * against redis-server 7.0.15 by {@code CommandTableIT}), grouped as Redis groups them.
 *
 * <p>Arity and key positions are Redis' own ({@code COMMAND INFO}); {@code movable} marks commands
 * whose keys depend on other arguments. The class, handling and refusal text are keymesh's:
 * docs/commands.md explains the routing rules. A write row's merge rule comes from
 * {@link WriteCommands}, its one home, which the apply library loads too; the table does not build
 * when the two disagree on which commands write. Rows are written with
 * <ul>
 *   <li>{@code add(name, arity, keys, class, handling)} for everything that is not a write,</li>
 *   <li>{@code write(name, arity, keys)} for writes forwarded on the shared connection,</li>
 *   <li>{@code blockingWrite(name, arity, keys)} for blocking pops and moves (pinned),</li>
 *   <li>{@code refuse(name, arity, keys, class, error)} for commands keymesh refuses.</li>
 * </ul>
 * A container row ("CLIENT", "CONFIG", "XINFO" ...) carries Redis' arity for the container and the
 * handling an unknown subcommand gets. XREAD and XREADGROUP block only with their BLOCK option,
 * which the dispatcher detects at runtime; their rows are plain READ/WRITE rows.
 */
public final class Commands {
    // Refusal texts: error replies without the leading dash.
    private static final String CLUSTER_REFUSED =
            "ERR CLUSTER commands are not allowed through keymesh: keymesh nodes are not a Redis Cluster";
    private static final String MODULE_REFUSED =
            "ERR MODULE commands are not allowed through keymesh: modules add commands keymesh can neither route nor replicate";
    private static final String ACL_LOAD_REFUSED =
            "ERR ACL LOAD is not allowed through keymesh: keymesh reads its ACL file at start and writes it on every ACL SETUSER and DELUSER";
    private static final String ACL_SAVE_REFUSED =
            "ERR ACL SAVE is not allowed through keymesh: keymesh writes its ACL file on every ACL SETUSER and DELUSER";
    private static final String CONFIG_REWRITE_REFUSED =
            "ERR CONFIG REWRITE is not allowed through keymesh: the node's redis-server configuration file is written by keymesh";
    private static final String DEBUG_REFUSED =
            "ERR DEBUG is not allowed through keymesh: it can crash, stall or corrupt the node's redis-server";
    private static final String FAILOVER_REFUSED =
            "ERR FAILOVER is not allowed through keymesh: the node's redis-server has no replica to fail over to; keymesh nodes are all masters";
    private static final String PSYNC_REFUSED =
            "ERR PSYNC is not allowed through keymesh: the node's redis-server serves no replicas; keymesh replicates between nodes itself";
    private static final String REPLCONF_REFUSED =
            "ERR REPLCONF is not allowed through keymesh: the node's redis-server serves no replicas; keymesh replicates between nodes itself";
    private static final String REPLICAOF_REFUSED =
            "ERR REPLICAOF is not allowed through keymesh: keymesh replicates between nodes itself and the node's redis-server must stay a master";
    private static final String SCRIPT_DEBUG_REFUSED =
            "ERR SCRIPT DEBUG is not allowed through keymesh: the Lua debugger would block a shared backend connection";
    private static final String SHUTDOWN_REFUSED =
            "ERR SHUTDOWN is not allowed through keymesh: the node manages its redis-server; stop keymesh instead";
    private static final String SLAVEOF_REFUSED =
            "ERR SLAVEOF is not allowed through keymesh: keymesh replicates between nodes itself and the node's redis-server must stay a master";
    private static final String SYNC_REFUSED =
            "ERR SYNC is not allowed through keymesh: the node's redis-server serves no replicas; keymesh replicates between nodes itself";

    private static final CommandTable STANDARD = build();

    private Commands() {
    }

    /** The table of every Redis 7.0 command and subcommand. */
    public static CommandTable standard() {
        return STANDARD;
    }

    private static CommandTable build() {
        CommandTable table = CommandTable.builder()
        //   name                                 arity  keys                  class        handling/refusal
        // Keys (generic)
        .write("COPY",                               -3, keys(1, 2, 1))
        .write("DEL",                                -2, keys(1, -1, 1))
        .add("DUMP",                                  2, keys(1, 1, 1),        READ,        FORWARD)
        .add("EXISTS",                               -2, keys(1, -1, 1),       READ,        FORWARD)
        .write("EXPIRE",                             -3, keys(1, 1, 1))
        .write("EXPIREAT",                           -3, keys(1, 1, 1))
        .add("EXPIRETIME",                            2, keys(1, 1, 1),        READ,        FORWARD)
        .add("KEYS",                                  2, NONE,                 READ,        FORWARD)
        .write("MIGRATE",                            -6, movable(3, 3, 1))                                // refused while replicating (WriteCommands)
        .write("MOVE",                                3, keys(1, 1, 1))
        .add("OBJECT",                               -2, NONE,                 READ,        FORWARD)
        .add("OBJECT|ENCODING",                       3, keys(2, 2, 1),        READ,        FORWARD)
        .add("OBJECT|FREQ",                           3, keys(2, 2, 1),        READ,        FORWARD)
        .add("OBJECT|HELP",                           2, NONE,                 READ,        FORWARD)
        .add("OBJECT|IDLETIME",                       3, keys(2, 2, 1),        READ,        FORWARD)
        .add("OBJECT|REFCOUNT",                       3, keys(2, 2, 1),        READ,        FORWARD)
        .write("PERSIST",                             2, keys(1, 1, 1))
        .write("PEXPIRE",                            -3, keys(1, 1, 1))
        .write("PEXPIREAT",                          -3, keys(1, 1, 1))
        .add("PEXPIRETIME",                           2, keys(1, 1, 1),        READ,        FORWARD)
        .add("PTTL",                                  2, keys(1, 1, 1),        READ,        FORWARD)
        .add("RANDOMKEY",                             1, NONE,                 READ,        FORWARD)
        .write("RENAME",                              3, keys(1, 2, 1))
        .write("RENAMENX",                            3, keys(1, 2, 1))
        .write("RESTORE",                            -4, keys(1, 1, 1))
        .add("SCAN",                                 -2, NONE,                 READ,        FORWARD)
        .write("SORT",                               -2, movable(1, 1, 1))                                // a write only with STORE; replicated as the stored result
        .add("SORT_RO",                              -2, movable(1, 1, 1),     READ,        FORWARD)
        .add("TOUCH",                                -2, keys(1, -1, 1),       READ,        FORWARD)
        .add("TTL",                                   2, keys(1, 1, 1),        READ,        FORWARD)
        .add("TYPE",                                  2, keys(1, 1, 1),        READ,        FORWARD)
        .write("UNLINK",                             -2, keys(1, -1, 1))
        .add("WAIT",                                  3, NONE,                 BLOCKING,    PIN)

        // String
        .write("APPEND",                              3, keys(1, 1, 1))
        .write("DECR",                                2, keys(1, 1, 1))
        .write("DECRBY",                              3, keys(1, 1, 1))
        .add("GET",                                   2, keys(1, 1, 1),        READ,        FORWARD)
        .write("GETDEL",                              2, keys(1, 1, 1))                                   // single key: a delete
        .write("GETEX",                              -2, keys(1, 1, 1))                                   // single key: an expiry change (or PERSIST)
        .add("GETRANGE",                              4, keys(1, 1, 1),        READ,        FORWARD)
        .write("GETSET",                              3, keys(1, 1, 1))
        .write("INCR",                                2, keys(1, 1, 1))
        .write("INCRBY",                              3, keys(1, 1, 1))
        .write("INCRBYFLOAT",                         3, keys(1, 1, 1))
        .add("LCS",                                  -3, keys(1, 2, 1),        READ,        FORWARD)
        .add("MGET",                                 -2, keys(1, -1, 1),       READ,        FORWARD)
        .write("MSET",                               -3, keys(1, -1, 2))
        .write("MSETNX",                             -3, keys(1, -1, 2))
        .write("PSETEX",                              4, keys(1, 1, 1))
        .write("SET",                                -3, keys(1, 1, 1))
        .write("SETEX",                               4, keys(1, 1, 1))
        .write("SETNX",                               3, keys(1, 1, 1))
        .write("SETRANGE",                            4, keys(1, 1, 1))
        .add("STRLEN",                                2, keys(1, 1, 1),        READ,        FORWARD)
        .add("SUBSTR",                                4, keys(1, 1, 1),        READ,        FORWARD)

        // Bitmap
        .add("BITCOUNT",                             -2, keys(1, 1, 1),        READ,        FORWARD)
        .write("BITFIELD",                           -2, keys(1, 1, 1))
        .add("BITFIELD_RO",                          -2, keys(1, 1, 1),        READ,        FORWARD)
        .write("BITOP",                              -4, keys(2, -1, 1))
        .add("BITPOS",                               -3, keys(1, 1, 1),        READ,        FORWARD)
        .add("GETBIT",                                3, keys(1, 1, 1),        READ,        FORWARD)
        .write("SETBIT",                              4, keys(1, 1, 1))

        // Hash
        .write("HDEL",                               -3, keys(1, 1, 1))
        .add("HEXISTS",                               3, keys(1, 1, 1),        READ,        FORWARD)
        .add("HGET",                                  3, keys(1, 1, 1),        READ,        FORWARD)
        .add("HGETALL",                               2, keys(1, 1, 1),        READ,        FORWARD)
        .write("HINCRBY",                             4, keys(1, 1, 1))
        .write("HINCRBYFLOAT",                        4, keys(1, 1, 1))
        .add("HKEYS",                                 2, keys(1, 1, 1),        READ,        FORWARD)
        .add("HLEN",                                  2, keys(1, 1, 1),        READ,        FORWARD)
        .add("HMGET",                                -3, keys(1, 1, 1),        READ,        FORWARD)
        .write("HMSET",                              -4, keys(1, 1, 1))
        .add("HRANDFIELD",                           -2, keys(1, 1, 1),        READ,        FORWARD)
        .add("HSCAN",                                -3, keys(1, 1, 1),        READ,        FORWARD)
        .write("HSET",                               -4, keys(1, 1, 1))
        .write("HSETNX",                              4, keys(1, 1, 1))
        .add("HSTRLEN",                               3, keys(1, 1, 1),        READ,        FORWARD)
        .add("HVALS",                                 2, keys(1, 1, 1),        READ,        FORWARD)

        // List
        .blockingWrite("BLMOVE",                      6, keys(1, 2, 1))
        .blockingWrite("BLMPOP",                     -5, movable(0, 0, 0))
        .blockingWrite("BLPOP",                      -3, keys(1, -2, 1))
        .blockingWrite("BRPOP",                      -3, keys(1, -2, 1))
        .blockingWrite("BRPOPLPUSH",                  4, keys(1, 2, 1))
        .add("LINDEX",                                3, keys(1, 1, 1),        READ,        FORWARD)
        .write("LINSERT",                             5, keys(1, 1, 1))
        .add("LLEN",                                  2, keys(1, 1, 1),        READ,        FORWARD)
        .write("LMOVE",                               5, keys(1, 2, 1))
        .write("LMPOP",                              -4, movable(0, 0, 0))
        .write("LPOP",                               -2, keys(1, 1, 1))
        .add("LPOS",                                 -3, keys(1, 1, 1),        READ,        FORWARD)
        .write("LPUSH",                              -3, keys(1, 1, 1))
        .write("LPUSHX",                             -3, keys(1, 1, 1))
        .add("LRANGE",                                4, keys(1, 1, 1),        READ,        FORWARD)
        .write("LREM",                                4, keys(1, 1, 1))
        .write("LSET",                                4, keys(1, 1, 1))
        .write("LTRIM",                               4, keys(1, 1, 1))
        .write("RPOP",                               -2, keys(1, 1, 1))
        .write("RPOPLPUSH",                           3, keys(1, 2, 1))
        .write("RPUSH",                              -3, keys(1, 1, 1))
        .write("RPUSHX",                             -3, keys(1, 1, 1))

        // Set
        .write("SADD",                               -3, keys(1, 1, 1))
        .add("SCARD",                                 2, keys(1, 1, 1),        READ,        FORWARD)
        .add("SDIFF",                                -2, keys(1, -1, 1),       READ,        FORWARD)
        .write("SDIFFSTORE",                         -3, keys(1, -1, 1))
        .add("SINTER",                               -2, keys(1, -1, 1),       READ,        FORWARD)
        .add("SINTERCARD",                           -3, movable(0, 0, 0),     READ,        FORWARD)
        .write("SINTERSTORE",                        -3, keys(1, -1, 1))
        .add("SISMEMBER",                             3, keys(1, 1, 1),        READ,        FORWARD)
        .add("SMEMBERS",                              2, keys(1, 1, 1),        READ,        FORWARD)
        .add("SMISMEMBER",                           -3, keys(1, 1, 1),        READ,        FORWARD)
        .write("SMOVE",                               4, keys(1, 2, 1))
        .write("SPOP",                               -2, keys(1, 1, 1))
        .add("SRANDMEMBER",                          -2, keys(1, 1, 1),        READ,        FORWARD)
        .write("SREM",                               -3, keys(1, 1, 1))
        .add("SSCAN",                                -3, keys(1, 1, 1),        READ,        FORWARD)
        .add("SUNION",                               -2, keys(1, -1, 1),       READ,        FORWARD)
        .write("SUNIONSTORE",                        -3, keys(1, -1, 1))

        // Sorted set
        .blockingWrite("BZMPOP",                     -5, movable(0, 0, 0))
        .blockingWrite("BZPOPMAX",                   -3, keys(1, -2, 1))
        .blockingWrite("BZPOPMIN",                   -3, keys(1, -2, 1))
        .write("ZADD",                               -4, keys(1, 1, 1))
        .add("ZCARD",                                 2, keys(1, 1, 1),        READ,        FORWARD)
        .add("ZCOUNT",                                4, keys(1, 1, 1),        READ,        FORWARD)
        .add("ZDIFF",                                -3, movable(0, 0, 0),     READ,        FORWARD)
        .write("ZDIFFSTORE",                         -4, movable(1, 1, 1))
        .write("ZINCRBY",                             4, keys(1, 1, 1))
        .add("ZINTER",                               -3, movable(0, 0, 0),     READ,        FORWARD)
        .add("ZINTERCARD",                           -3, movable(0, 0, 0),     READ,        FORWARD)
        .write("ZINTERSTORE",                        -4, movable(1, 1, 1))
        .add("ZLEXCOUNT",                             4, keys(1, 1, 1),        READ,        FORWARD)
        .write("ZMPOP",                              -4, movable(0, 0, 0))
        .add("ZMSCORE",                              -3, keys(1, 1, 1),        READ,        FORWARD)
        .write("ZPOPMAX",                            -2, keys(1, 1, 1))
        .write("ZPOPMIN",                            -2, keys(1, 1, 1))
        .add("ZRANDMEMBER",                          -2, keys(1, 1, 1),        READ,        FORWARD)
        .add("ZRANGE",                               -4, keys(1, 1, 1),        READ,        FORWARD)
        .add("ZRANGEBYLEX",                          -4, keys(1, 1, 1),        READ,        FORWARD)
        .add("ZRANGEBYSCORE",                        -4, keys(1, 1, 1),        READ,        FORWARD)
        .write("ZRANGESTORE",                        -5, keys(1, 2, 1))
        .add("ZRANK",                                 3, keys(1, 1, 1),        READ,        FORWARD)
        .write("ZREM",                               -3, keys(1, 1, 1))
        .write("ZREMRANGEBYLEX",                      4, keys(1, 1, 1))
        .write("ZREMRANGEBYRANK",                     4, keys(1, 1, 1))
        .write("ZREMRANGEBYSCORE",                    4, keys(1, 1, 1))
        .add("ZREVRANGE",                            -4, keys(1, 1, 1),        READ,        FORWARD)
        .add("ZREVRANGEBYLEX",                       -4, keys(1, 1, 1),        READ,        FORWARD)
        .add("ZREVRANGEBYSCORE",                     -4, keys(1, 1, 1),        READ,        FORWARD)
        .add("ZREVRANK",                              3, keys(1, 1, 1),        READ,        FORWARD)
        .add("ZSCAN",                                -3, keys(1, 1, 1),        READ,        FORWARD)
        .add("ZSCORE",                                3, keys(1, 1, 1),        READ,        FORWARD)
        .add("ZUNION",                               -3, movable(0, 0, 0),     READ,        FORWARD)
        .write("ZUNIONSTORE",                        -4, movable(1, 1, 1))

        // Geo
        .write("GEOADD",                             -5, keys(1, 1, 1))
        .add("GEODIST",                              -4, keys(1, 1, 1),        READ,        FORWARD)
        .add("GEOHASH",                              -2, keys(1, 1, 1),        READ,        FORWARD)
        .add("GEOPOS",                               -2, keys(1, 1, 1),        READ,        FORWARD)
        .write("GEORADIUS",                          -6, movable(1, 1, 1))                                // a write only with STORE/STOREDIST
        .write("GEORADIUSBYMEMBER",                  -5, movable(1, 1, 1))                                // a write only with STORE/STOREDIST
        .add("GEORADIUSBYMEMBER_RO",                 -5, keys(1, 1, 1),        READ,        FORWARD)
        .add("GEORADIUS_RO",                         -6, keys(1, 1, 1),        READ,        FORWARD)
        .add("GEOSEARCH",                            -7, keys(1, 1, 1),        READ,        FORWARD)
        .write("GEOSEARCHSTORE",                     -8, keys(1, 2, 1))

        // HyperLogLog
        .write("PFADD",                              -2, keys(1, 1, 1))
        .add("PFCOUNT",                              -2, keys(1, -1, 1),       READ,        FORWARD)      // flagged readonly in 7.0; the HLL cache it rewrites is not data
        .add("PFDEBUG",                               3, keys(2, 2, 1),        ADMIN,       FORWARD)      // may re-encode an HLL but never changes its value
        .write("PFMERGE",                            -2, keys(1, -1, 1))
        .add("PFSELFTEST",                            1, NONE,                 ADMIN,       FORWARD)

        // Stream
        .write("XACK",                               -4, keys(1, 1, 1))
        .write("XADD",                               -5, keys(1, 1, 1))
        .write("XAUTOCLAIM",                         -6, keys(1, 1, 1))
        .write("XCLAIM",                             -6, keys(1, 1, 1))
        .write("XDEL",                               -3, keys(1, 1, 1))
        .write("XGROUP",                             -2, NONE)                                            // unknown subcommands are treated as stream writes
        .write("XGROUP|CREATE",                      -5, keys(2, 2, 1))
        .write("XGROUP|CREATECONSUMER",               5, keys(2, 2, 1))
        .write("XGROUP|DELCONSUMER",                  5, keys(2, 2, 1))
        .write("XGROUP|DESTROY",                      4, keys(2, 2, 1))
        .add("XGROUP|HELP",                           2, NONE,                 READ,        FORWARD)
        .write("XGROUP|SETID",                       -5, keys(2, 2, 1))
        .add("XINFO",                                -2, NONE,                 READ,        FORWARD)
        .add("XINFO|CONSUMERS",                       4, keys(2, 2, 1),        READ,        FORWARD)
        .add("XINFO|GROUPS",                          3, keys(2, 2, 1),        READ,        FORWARD)
        .add("XINFO|HELP",                            2, NONE,                 READ,        FORWARD)
        .add("XINFO|STREAM",                         -3, keys(2, 2, 1),        READ,        FORWARD)
        .add("XLEN",                                  2, keys(1, 1, 1),        READ,        FORWARD)
        .add("XPENDING",                             -3, keys(1, 1, 1),        READ,        FORWARD)
        .add("XRANGE",                               -4, keys(1, 1, 1),        READ,        FORWARD)
        .add("XREAD",                                -4, movable(0, 0, 0),     READ,        FORWARD)      // its BLOCK option is detected at runtime
        .write("XREADGROUP",                         -7, movable(0, 0, 0))                                // its BLOCK option is detected at runtime
        .add("XREVRANGE",                            -4, keys(1, 1, 1),        READ,        FORWARD)
        .write("XSETID",                             -3, keys(1, 1, 1))
        .write("XTRIM",                              -4, keys(1, 1, 1))

        // Pub/sub
        .add("PSUBSCRIBE",                           -2, NONE,                 PUBSUB,      SUBSCRIBE)
        .add("PUBLISH",                               3, NONE,                 PUBSUB,      FORWARD)
        .add("PUBSUB",                               -2, NONE,                 PUBSUB,      FORWARD)
        .add("PUBSUB|CHANNELS",                      -2, NONE,                 PUBSUB,      FORWARD)
        .add("PUBSUB|HELP",                           2, NONE,                 PUBSUB,      FORWARD)
        .add("PUBSUB|NUMPAT",                         2, NONE,                 PUBSUB,      FORWARD)
        .add("PUBSUB|NUMSUB",                        -2, NONE,                 PUBSUB,      FORWARD)
        .add("PUBSUB|SHARDCHANNELS",                 -2, NONE,                 PUBSUB,      FORWARD)
        .add("PUBSUB|SHARDNUMSUB",                   -2, NONE,                 PUBSUB,      FORWARD)
        .add("PUNSUBSCRIBE",                         -1, NONE,                 PUBSUB,      SUBSCRIBE)
        .add("SPUBLISH",                              3, keys(1, 1, 1),        PUBSUB,      FORWARD)
        .add("SSUBSCRIBE",                           -2, keys(1, -1, 1),       PUBSUB,      SUBSCRIBE)
        .add("SUBSCRIBE",                            -2, NONE,                 PUBSUB,      SUBSCRIBE)
        .add("SUNSUBSCRIBE",                         -1, keys(1, -1, 1),       PUBSUB,      SUBSCRIBE)
        .add("UNSUBSCRIBE",                          -1, NONE,                 PUBSUB,      SUBSCRIBE)

        // Transactions
        .add("DISCARD",                               1, NONE,                 TRANSACTION, FORWARD)
        .add("EXEC",                                  1, NONE,                 TRANSACTION, FORWARD)
        .add("MULTI",                                 1, NONE,                 TRANSACTION, PIN)
        .add("UNWATCH",                               1, NONE,                 TRANSACTION, FORWARD)
        .add("WATCH",                                -2, keys(1, -1, 1),       TRANSACTION, PIN)

        // Scripting and functions
        .add("EVAL",                                 -3, movable(0, 0, 0),     SCRIPTING,   FORWARD)
        .add("EVALSHA",                              -3, movable(0, 0, 0),     SCRIPTING,   FORWARD)
        .add("EVALSHA_RO",                           -3, movable(0, 0, 0),     SCRIPTING,   FORWARD)
        .add("EVAL_RO",                              -3, movable(0, 0, 0),     SCRIPTING,   FORWARD)
        .add("FCALL",                                -3, movable(0, 0, 0),     SCRIPTING,   FORWARD)
        .add("FCALL_RO",                             -3, movable(0, 0, 0),     SCRIPTING,   FORWARD)
        .add("FUNCTION",                             -2, NONE,                 SCRIPTING,   FORWARD)
        .add("FUNCTION|DELETE",                       3, NONE,                 SCRIPTING,   FORWARD)
        .add("FUNCTION|DUMP",                         2, NONE,                 SCRIPTING,   FORWARD)
        .add("FUNCTION|FLUSH",                       -2, NONE,                 SCRIPTING,   FORWARD)
        .add("FUNCTION|HELP",                         2, NONE,                 SCRIPTING,   FORWARD)
        .add("FUNCTION|KILL",                         2, NONE,                 SCRIPTING,   FORWARD)
        .add("FUNCTION|LIST",                        -2, NONE,                 SCRIPTING,   FORWARD)
        .add("FUNCTION|LOAD",                        -3, NONE,                 SCRIPTING,   FORWARD)
        .add("FUNCTION|RESTORE",                     -3, NONE,                 SCRIPTING,   FORWARD)
        .add("FUNCTION|STATS",                        2, NONE,                 SCRIPTING,   FORWARD)
        .add("SCRIPT",                               -2, NONE,                 SCRIPTING,   FORWARD)
        .refuse("SCRIPT|DEBUG",                       3, NONE,                 SCRIPTING,   SCRIPT_DEBUG_REFUSED)
        .add("SCRIPT|EXISTS",                        -3, NONE,                 SCRIPTING,   FORWARD)
        .add("SCRIPT|FLUSH",                         -2, NONE,                 SCRIPTING,   FORWARD)
        .add("SCRIPT|HELP",                           2, NONE,                 SCRIPTING,   FORWARD)
        .add("SCRIPT|KILL",                           2, NONE,                 SCRIPTING,   FORWARD)
        .add("SCRIPT|LOAD",                           3, NONE,                 SCRIPTING,   FORWARD)

        // Connection
        .add("AUTH",                                 -2, NONE,                 CONNECTION,  LOCAL)
        .add("CLIENT",                               -2, NONE,                 CONNECTION,  LOCAL)
        .add("CLIENT|CACHING",                        3, NONE,                 CONNECTION,  PIN)
        .add("CLIENT|GETNAME",                        2, NONE,                 CONNECTION,  LOCAL)
        .add("CLIENT|GETREDIR",                       2, NONE,                 CONNECTION,  PIN)
        .add("CLIENT|HELP",                           2, NONE,                 CONNECTION,  FORWARD)      // the static help text
        .add("CLIENT|ID",                             2, NONE,                 CONNECTION,  LOCAL)
        .add("CLIENT|INFO",                           2, NONE,                 CONNECTION,  LOCAL)
        .add("CLIENT|KILL",                          -3, NONE,                 CONNECTION,  LOCAL)
        .add("CLIENT|LIST",                          -2, NONE,                 CONNECTION,  LOCAL)
        .add("CLIENT|NO-EVICT",                       3, NONE,                 CONNECTION,  LOCAL)
        .add("CLIENT|PAUSE",                         -3, NONE,                 CONNECTION,  LOCAL)        // keymesh holds its own clients' commands
        .add("CLIENT|REPLY",                          3, NONE,                 CONNECTION,  LOCAL)
        .add("CLIENT|SETNAME",                        3, NONE,                 CONNECTION,  LOCAL)
        .add("CLIENT|TRACKING",                      -3, NONE,                 CONNECTION,  PIN)
        .add("CLIENT|TRACKINGINFO",                   2, NONE,                 CONNECTION,  PIN)
        .add("CLIENT|UNBLOCK",                       -3, NONE,                 CONNECTION,  LOCAL)        // sent for the client's own backend link
        .add("CLIENT|UNPAUSE",                        2, NONE,                 CONNECTION,  LOCAL)
        .add("ECHO",                                  2, NONE,                 CONNECTION,  FORWARD)
        .add("HELLO",                                -1, NONE,                 CONNECTION,  LOCAL)
        .add("PING",                                 -1, NONE,                 CONNECTION,  FORWARD)
        .add("QUIT",                                 -1, NONE,                 CONNECTION,  LOCAL)
        .add("RESET",                                 1, NONE,                 CONNECTION,  LOCAL)
        .add("SELECT",                                2, NONE,                 CONNECTION,  LOCAL)

        // Server
        .add("ACL",                                  -2, NONE,                 ADMIN,       FORWARD)
        .add("ACL|CAT",                              -2, NONE,                 ADMIN,       LOCAL)        // keymesh's users (io.keymesh.proxy.acl)
        .add("ACL|DELUSER",                          -3, NONE,                 ADMIN,       LOCAL)
        .add("ACL|DRYRUN",                           -4, NONE,                 ADMIN,       LOCAL)
        .add("ACL|GENPASS",                          -2, NONE,                 ADMIN,       FORWARD)
        .add("ACL|GETUSER",                           3, NONE,                 ADMIN,       LOCAL)
        .add("ACL|HELP",                              2, NONE,                 ADMIN,       FORWARD)
        .add("ACL|LIST",                              2, NONE,                 ADMIN,       LOCAL)
        .refuse("ACL|LOAD",                           2, NONE,                 ADMIN,       ACL_LOAD_REFUSED)
        .add("ACL|LOG",                              -2, NONE,                 ADMIN,       LOCAL)
        .refuse("ACL|SAVE",                           2, NONE,                 ADMIN,       ACL_SAVE_REFUSED)
        .add("ACL|SETUSER",                          -3, NONE,                 ADMIN,       LOCAL)
        .add("ACL|USERS",                             2, NONE,                 ADMIN,       LOCAL)
        .add("ACL|WHOAMI",                            2, NONE,                 ADMIN,       LOCAL)
        .add("BGREWRITEAOF",                          1, NONE,                 ADMIN,       FORWARD)
        .add("BGSAVE",                               -1, NONE,                 ADMIN,       FORWARD)
        .add("COMMAND",                              -1, NONE,                 ADMIN,       FORWARD)
        .add("COMMAND|COUNT",                         2, NONE,                 ADMIN,       FORWARD)
        .add("COMMAND|DOCS",                         -2, NONE,                 ADMIN,       FORWARD)
        .add("COMMAND|GETKEYS",                      -4, NONE,                 ADMIN,       FORWARD)
        .add("COMMAND|GETKEYSANDFLAGS",              -4, NONE,                 ADMIN,       FORWARD)
        .add("COMMAND|HELP",                          2, NONE,                 ADMIN,       FORWARD)
        .add("COMMAND|INFO",                         -2, NONE,                 ADMIN,       FORWARD)
        .add("COMMAND|LIST",                         -2, NONE,                 ADMIN,       FORWARD)
        .add("CONFIG",                               -2, NONE,                 ADMIN,       FORWARD)
        .add("CONFIG|GET",                           -3, NONE,                 ADMIN,       FORWARD)
        .add("CONFIG|HELP",                           2, NONE,                 ADMIN,       FORWARD)
        .add("CONFIG|RESETSTAT",                      2, NONE,                 ADMIN,       FORWARD)
        .refuse("CONFIG|REWRITE",                     2, NONE,                 ADMIN,       CONFIG_REWRITE_REFUSED)
        .add("CONFIG|SET",                           -4, NONE,                 ADMIN,       FORWARD)      // the dispatcher vetoes node-owned parameters (dir, port ...)
        .add("DBSIZE",                                1, NONE,                 READ,        FORWARD)
        .refuse("DEBUG",                             -2, NONE,                 ADMIN,       DEBUG_REFUSED)
        .refuse("FAILOVER",                          -1, NONE,                 ADMIN,       FAILOVER_REFUSED)
        .write("FLUSHALL",                           -1, NONE)
        .write("FLUSHDB",                            -1, NONE)
        .add("INFO",                                 -1, NONE,                 ADMIN,       LOCAL)
        .add("LASTSAVE",                              1, NONE,                 ADMIN,       FORWARD)
        .add("LATENCY",                              -2, NONE,                 ADMIN,       FORWARD)
        .add("LATENCY|DOCTOR",                        2, NONE,                 ADMIN,       FORWARD)
        .add("LATENCY|GRAPH",                         3, NONE,                 ADMIN,       FORWARD)
        .add("LATENCY|HELP",                          2, NONE,                 ADMIN,       FORWARD)
        .add("LATENCY|HISTOGRAM",                    -2, NONE,                 ADMIN,       LOCAL)
        .add("LATENCY|HISTORY",                       3, NONE,                 ADMIN,       FORWARD)
        .add("LATENCY|LATEST",                        2, NONE,                 ADMIN,       FORWARD)
        .add("LATENCY|RESET",                        -2, NONE,                 ADMIN,       FORWARD)
        .add("LOLWUT",                               -1, NONE,                 ADMIN,       FORWARD)      // flagged readonly but touches no data
        .add("MEMORY",                               -2, NONE,                 ADMIN,       FORWARD)
        .add("MEMORY|DOCTOR",                         2, NONE,                 ADMIN,       FORWARD)
        .add("MEMORY|HELP",                           2, NONE,                 ADMIN,       FORWARD)
        .add("MEMORY|MALLOC-STATS",                   2, NONE,                 ADMIN,       FORWARD)
        .add("MEMORY|PURGE",                          2, NONE,                 ADMIN,       FORWARD)
        .add("MEMORY|STATS",                          2, NONE,                 ADMIN,       FORWARD)
        .add("MEMORY|USAGE",                         -3, keys(2, 2, 1),        ADMIN,       FORWARD)      // ADMIN like its family, though it names a key
        .refuse("MODULE",                            -2, NONE,                 ADMIN,       MODULE_REFUSED)
        .refuse("MODULE|HELP",                        2, NONE,                 ADMIN,       MODULE_REFUSED)
        .refuse("MODULE|LIST",                        2, NONE,                 ADMIN,       MODULE_REFUSED)
        .refuse("MODULE|LOAD",                       -3, NONE,                 ADMIN,       MODULE_REFUSED)
        .refuse("MODULE|LOADEX",                     -3, NONE,                 ADMIN,       MODULE_REFUSED)
        .refuse("MODULE|UNLOAD",                      3, NONE,                 ADMIN,       MODULE_REFUSED)
        .add("MONITOR",                               1, NONE,                 ADMIN,       LOCAL)        // the node's client traffic, fed by keymesh
        .refuse("PSYNC",                             -3, NONE,                 ADMIN,       PSYNC_REFUSED)
        .refuse("REPLCONF",                          -1, NONE,                 ADMIN,       REPLCONF_REFUSED)
        .refuse("REPLICAOF",                          3, NONE,                 ADMIN,       REPLICAOF_REFUSED)
        .write("RESTORE-ASKING",                     -4, keys(1, 1, 1))                                   // cluster-internal: refused while replicating (WriteCommands)
        .add("ROLE",                                  1, NONE,                 ADMIN,       LOCAL)
        .add("SAVE",                                  1, NONE,                 ADMIN,       FORWARD)
        .refuse("SHUTDOWN",                          -1, NONE,                 ADMIN,       SHUTDOWN_REFUSED)
        .refuse("SLAVEOF",                            3, NONE,                 ADMIN,       SLAVEOF_REFUSED)
        .add("SLOWLOG",                              -2, NONE,                 ADMIN,       FORWARD)
        .add("SLOWLOG|GET",                          -2, NONE,                 ADMIN,       FORWARD)
        .add("SLOWLOG|HELP",                          2, NONE,                 ADMIN,       FORWARD)
        .add("SLOWLOG|LEN",                           2, NONE,                 ADMIN,       FORWARD)
        .add("SLOWLOG|RESET",                         2, NONE,                 ADMIN,       FORWARD)
        .write("SWAPDB",                              3, NONE)                                            // swaps whole databases: no per-key merge
        .refuse("SYNC",                               1, NONE,                 ADMIN,       SYNC_REFUSED)
        .add("TIME",                                  1, NONE,                 ADMIN,       FORWARD)

        // Cluster
        .add("ASKING",                                1, NONE,                 CONNECTION,  FORWARD)      // the backend answers as a non-cluster Redis
        .refuse("CLUSTER",                           -2, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|ADDSLOTS",                  -3, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|ADDSLOTSRANGE",             -4, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|BUMPEPOCH",                  2, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|COUNT-FAILURE-REPORTS",      3, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|COUNTKEYSINSLOT",            3, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|DELSLOTS",                  -3, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|DELSLOTSRANGE",             -4, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|FAILOVER",                  -2, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|FLUSHSLOTS",                 2, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|FORGET",                     3, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|GETKEYSINSLOT",              4, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|HELP",                       2, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|INFO",                       2, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|KEYSLOT",                    3, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|LINKS",                      2, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|MEET",                      -4, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|MYID",                       2, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|NODES",                      2, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|REPLICAS",                   3, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|REPLICATE",                  3, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|RESET",                     -2, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|SAVECONFIG",                 2, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|SET-CONFIG-EPOCH",           3, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|SETSLOT",                   -4, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|SHARDS",                     2, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|SLAVES",                     3, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .refuse("CLUSTER|SLOTS",                      2, NONE,                 ADMIN,       CLUSTER_REFUSED)
        .add("READONLY",                              1, NONE,                 CONNECTION,  FORWARD)      // the backend answers as a non-cluster Redis
        .add("READWRITE",                             1, NONE,                 CONNECTION,  FORWARD)      // the backend answers as a non-cluster Redis
        .build();
        Set<String> writeRows = new TreeSet<>();
        table.rows().values().stream().filter(spec -> spec.kind() == WRITE).forEach(spec -> writeRows.add(spec.name()));
        if (!writeRows.equals(new TreeSet<>(WriteCommands.rules().keySet()))) {
            throw new IllegalStateException("the write rows and WriteCommands disagree: rows " + writeRows
                    + ", WriteCommands " + new TreeSet<>(WriteCommands.rules().keySet()));
        }
        return table;
    }
}
