package io.keymesh.proxy.route;

import io.keymesh.proxy.command.CommandClass;
import io.keymesh.proxy.command.CommandSpec;
import io.keymesh.proxy.resp.Replies;
import io.keymesh.proxy.resp.RespRequest;
import io.keymesh.storage.merge.MergeRule;
import io.keymesh.storage.merge.WriteCommands;
import io.keymesh.storage.conn.ReplyScanner;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What the replicated write path refuses or rewrites, decided from a request alone (replication on):
 * writes that cannot be merged (SWAPDB, MIGRATE: {@link WriteCommands#refusal}, the text the apply
 * library gives too), changes to the keymesh function library, database
 * arguments that would reach the metadata databases (MOVE, COPY ... DB), and writing scripts, which
 * run as their read-only variant (EVAL becomes EVAL_RO) so a script that writes fails cleanly
 * instead of changing data no peer would ever see.
 */
final class WritePolicy {
    /** The function library keymesh loads into its redis-server. */
    static final String LIBRARY_NAME = "keymesh";
    static final String SCRIPT_WRITE_REFUSED = "ERR keymesh: scripts that write are not replicated, so they are refused "
            + "while replication is on; EVAL_RO, EVALSHA_RO and FCALL_RO (and EVAL of scripts that only read) keep working";
    private static final String LIBRARY_REFUSED = "ERR this FUNCTION command is not allowed through keymesh while "
            + "replication is on: it would remove or replace the '" + LIBRARY_NAME + "' library that applies every write";

    private WritePolicy() {
    }

    /** The error for a request keymesh refuses while replicating, or null. */
    static String refusal(CommandSpec spec, RespRequest r) {
        if (spec.merge() == MergeRule.NOT_REPLICABLE) {
            return WriteCommands.refusal(spec.name());
        }
        return switch (spec.name()) {
            case "FUNCTION|DELETE" -> r.argc() == 3 && r.argString(2).equals(LIBRARY_NAME) ? LIBRARY_REFUSED : null;
            case "FUNCTION|RESTORE" -> hasArg(r, 3, "FLUSH") || hasArg(r, 3, "REPLACE") ? LIBRARY_REFUSED : null;
            case "FUNCTION|LOAD" -> loadsLibrary(r) ? LIBRARY_REFUSED : null;
            default -> null;
        };
    }

    /**
     * True for the scripting commands that run inside the apply library's write call, so that every write a
     * script or function makes is merged and replicated like a client's: EVAL, EVALSHA, FCALL, their _RO
     * variants, and the SCRIPT subcommands over the library's script cache (LOAD, EXISTS, FLUSH).
     */
    static boolean runsInLibrary(CommandSpec spec) {
        return switch (spec.name()) {
            case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "SCRIPT|LOAD", "SCRIPT|EXISTS", "SCRIPT|FLUSH",
                 "FCALL", "FCALL_RO" -> true;
            default -> false;
        };
    }

    /**
     * True for the FUNCTION subcommands that change libraries and are recorded by the apply library (so
     * they replicate) before the node mirrors them natively: LOAD, DELETE, FLUSH.
     */
    static boolean recordsLibrary(CommandSpec spec) {
        return switch (spec.name()) {
            case "FUNCTION|LOAD", "FUNCTION|DELETE", "FUNCTION|FLUSH" -> true;
            default -> false;
        };
    }

    /**
     * True for the scripting commands that may write (EVAL, EVALSHA, FCALL): the write quorum refuses
     * them as it refuses writes, before they run, since keymesh cannot tell a script's writes ahead.
     */
    static boolean mayWrite(CommandSpec spec) {
        return switch (spec.name()) {
            case "EVAL", "EVALSHA", "FCALL" -> true;
            default -> false;
        };
    }

    /** The read-only variant a scripting command runs as, or null when it runs unchanged. */
    static String readOnlyName(CommandSpec spec) {
        if (spec.kind() != CommandClass.SCRIPTING) {
            return null;
        }
        return switch (spec.name()) {
            case "EVAL" -> "EVAL_RO";
            case "EVALSHA" -> "EVALSHA_RO";
            case "FCALL" -> "FCALL_RO";
            default -> null;
        };
    }

    /**
     * True when a MOVE or COPY names a database clients cannot use (its integer value is >= N or < 0).
     * Non-integer values are left to Redis, whose error is the one clients expect.
     */
    static boolean databaseArgumentOutOfRange(CommandSpec spec, RespRequest r, int userDatabases) {
        int at = -1;
        if (spec.name().equals("MOVE") && r.argc() == 3) {
            at = 2;
        } else if (spec.name().equals("COPY")) {
            for (int i = 3; i + 1 < r.argc(); i++) {
                if (r.argEquals(i, "DB")) {
                    at = i + 1;
                }
            }
        }
        if (at < 0) {
            return false;
        }
        long db = r.argLong(at);
        return db != Long.MIN_VALUE && (db < 0 || db >= userDatabases);
    }

    /**
     * Rewrites the error a read-only script run gets when the script writes (or is flagged as
     * writing) into keymesh's explanation; any other reply passes unchanged.
     */
    static ByteBuf scriptReply(ByteBuf reply, ByteBufAllocator alloc) {
        if (!ReplyScanner.isError(reply, reply.readerIndex())) {
            return reply;
        }
        String text = reply.toString(StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        if (text.contains("read-only script") || text.contains("with write flag")) {
            return Replies.error(alloc, SCRIPT_WRITE_REFUSED);
        }
        return reply;
    }

    private static boolean hasArg(RespRequest r, int from, String word) {
        for (int i = from; i < r.argc(); i++) {
            if (r.argEquals(i, word)) {
                return true;
            }
        }
        return false;
    }

    /** FUNCTION LOAD of a library whose shebang names it "keymesh". */
    private static boolean loadsLibrary(RespRequest r) {
        String code = r.argString(r.argc() - 1);
        int end = code.indexOf('\n');
        String shebang = end < 0 ? code : code.substring(0, end);
        for (String part : shebang.trim().split("\\s+")) {
            if (part.equals("name=" + LIBRARY_NAME)) {
                return true;
            }
        }
        return false;
    }
}
