package io.keymesh.proxy.acl;

import io.keymesh.proxy.resp.RespRequest;
import io.netty.buffer.ByteBuf;

/**
 * Decides whether a user may run a request, the way Redis 7.0 does before running a command: the
 * command (or subcommand) first, then every key its key specifications find (with the read or
 * write permission each needs), then its channels. Reads only the command's ordinal and the bytes
 * of the key, numkeys, keyword and channel arguments, in the request's receive buffer.
 */
public final class AclChecker {
    /** Why a request was refused. */
    public enum Reason {
        COMMAND("command"), KEY("key"), CHANNEL("channel"), AUTH("auth");

        private final String logName;

        Reason(String logName) {
            this.logName = logName;
        }

        /** The reason as ACL LOG shows it. */
        public String logName() {
            return logName;
        }
    }

    /**
     * A refusal.
     *
     * @param argument index of the refused key or channel in the request (-1 for a command)
     */
    public record Denial(Reason reason, int argument) {
        private static final Denial COMMAND = new Denial(Reason.COMMAND, -1);

        /** Redis 7.0's -NOPERM error text (without the dash); {@code command} is the full name. */
        public String error(String command) {
            return switch (reason) {
                case COMMAND -> "NOPERM this user has no permissions to run the '" + command + "' command";
                case KEY -> "NOPERM this user has no permissions to access one of the keys used as arguments";
                default -> "NOPERM this user has no permissions to access one of the channels used as arguments";
            };
        }

        /** ACL DRYRUN's text for this refusal. */
        public String dryRun(String command, RespRequest r, int offset) {
            return switch (reason) {
                case COMMAND -> "This user has no permissions to run the '" + command + "' command";
                case KEY -> "This user has no permissions to access the '" + r.argString(argument + offset) + "' key";
                default -> "This user has no permissions to access the '" + r.argString(argument + offset) + "' channel";
            };
        }
    }

    private final AclCatalog catalog;

    public AclCatalog catalog() {
        return catalog;
    }

    public AclChecker(AclCatalog catalog) {
        this.catalog = catalog;
    }

    /**
     * Checks request {@code r} of command {@code ordinal} (-1: a command keymesh does not know)
     * for {@code user}; null when it may run. Arguments are read from index {@code offset}
     * (0 for a client's request, 3 for ACL DRYRUN's embedded command).
     */
    public Denial check(AclUser user, int ordinal, RespRequest r, int offset) {
        if (user.unrestricted()) {
            return null;
        }
        if (ordinal < 0) {
            return user.allCommands ? null : Denial.COMMAND;
        }
        // a container row reached without a known subcommand goes on: the backend answers its
        // unknown-subcommand or arity error, as Redis does before any ACL check
        if (!user.mayRun(ordinal) && catalog.subcommands(ordinal).length == 0) {
            return Denial.COMMAND;
        }
        if (!user.allKeys) {
            int refused = refusedKey(user, ordinal, r, offset);
            if (refused >= 0) {
                return new Denial(Reason.KEY, refused);
            }
        }
        if (!user.allChannels) {
            int refused = refusedChannel(user, catalog.channels(ordinal), r, offset);
            if (refused >= 0) {
                return new Denial(Reason.CHANNEL, refused);
            }
        }
        return null;
    }

    // ---- keys -----------------------------------------------------------------------------------

    /** The argument index (relative to offset) of the first key the user may not touch, or -1. */
    private int refusedKey(AclUser user, int ordinal, RespRequest r, int offset) {
        KeySearch[] specs = catalog.keys(ordinal);
        if (specs.length == 0) {
            return -1;
        }
        int argc = r.argc() - offset;
        String name = catalog.name(ordinal);
        for (KeySearch spec : specs) {
            if (!spec.known()) {
                if (name.equals("sort") && spec.need() == KeySearch.WRITE) {
                    int store = sortStore(r, offset, argc);
                    if (store > 0 && !keyAllowed(user, r, offset + store, KeySearch.WRITE)) {
                        return store;
                    }
                }
                continue;
            }
            int first = spec.index();
            if (first == 0) {
                first = keyword(spec, r, offset, argc);
                if (first < 0) {
                    continue;
                }
            }
            if (first >= argc) {
                continue;
            }
            int last;
            int step;
            if (spec.find() == KeySearch.Find.RANGE) {
                if (spec.a() >= 0) {
                    last = first + spec.a();
                } else if (spec.c() <= 1) {
                    last = argc + spec.a();
                } else {
                    last = first + ((argc - first) / spec.c() + spec.a());
                }
                step = Math.max(1, spec.b());
            } else {
                int at = first + spec.a();
                long numkeys = at < argc ? number(r, offset + at) : -1;
                if (numkeys < 0 || numkeys > argc) {
                    return -1;                         // the backend refuses the bad count itself
                }
                step = Math.max(1, spec.c());
                first += spec.b();
                last = first + ((int) numkeys - 1) * step;
            }
            int need = need(name, spec.need(), r, offset, argc);
            for (int i = first; i <= last; i += step) {
                if (i >= argc || i < 1) {
                    return -1;                         // too few arguments: the backend answers the error
                }
                if (name.equals("migrate") && i == 3 && r.argLength(offset + 3) == 0) {
                    continue;                          // MIGRATE ... "" ... KEYS k1 k2: no key at 3
                }
                if (!keyAllowed(user, r, offset + i, need)) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** SET and BITFIELD need read permission only when they return a value (Redis' variable flags). */
    private static int need(String name, int need, RespRequest r, int offset, int argc) {
        if (name.equals("set")) {
            for (int i = 3; i < argc; i++) {
                if (r.argEquals(offset + i, "GET")) {
                    return KeySearch.READ | KeySearch.WRITE;
                }
            }
            return KeySearch.WRITE;
        }
        if (name.equals("bitfield")) {
            boolean writes = false;
            boolean reads = false;
            for (int i = 2; i < argc; i++) {
                if (r.argEquals(offset + i, "GET")) {
                    reads = true;
                    i += 2;
                } else if (r.argEquals(offset + i, "SET") || r.argEquals(offset + i, "INCRBY")) {
                    writes = true;
                    i += 3;
                } else if (r.argEquals(offset + i, "OVERFLOW")) {
                    i += 1;
                }
            }
            return writes ? KeySearch.READ | KeySearch.WRITE : reads ? KeySearch.READ : need;
        }
        return need;
    }

    /** The argument after SORT's STORE, or -1. */
    private static int sortStore(RespRequest r, int offset, int argc) {
        for (int i = 2; i < argc; i++) {
            if (r.argEquals(offset + i, "LIMIT")) {
                i += 2;
            } else if (r.argEquals(offset + i, "BY") || r.argEquals(offset + i, "GET")) {
                i += 1;
            } else if (r.argEquals(offset + i, "STORE") && i + 1 < argc) {
                return i + 1;
            }
        }
        return -1;
    }

    /** The argument after the spec's keyword, searched as Redis does, or -1 when it is absent. */
    private static int keyword(KeySearch spec, RespRequest r, int offset, int argc) {
        int from = spec.startFrom();
        if (from >= 0) {
            for (int i = Math.max(1, from); i < argc; i++) {
                if (r.argEquals(offset + i, spec.keyword())) {
                    return i + 1;
                }
            }
        } else {
            for (int i = argc + from; i >= 1; i--) {
                if (i < argc && r.argEquals(offset + i, spec.keyword())) {
                    return i + 1;
                }
            }
        }
        return -1;
    }

    private static long number(RespRequest r, int arg) {
        int len = r.argLength(arg);
        if (len == 0 || len > 10) {
            return -1;
        }
        ByteBuf b = r.buffer();
        int at = r.argIndex(arg);
        long n = 0;
        for (int i = 0; i < len; i++) {
            int d = b.getByte(at + i) - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            n = n * 10 + d;
        }
        return n;
    }

    private static boolean keyAllowed(AclUser user, RespRequest r, int arg, int need) {
        for (AclUser.KeyPattern p : user.keys) {
            if ((p.grants() & need) == need && p.glob().matches(r.buffer(), r.argIndex(arg), r.argLength(arg))) {
                return true;
            }
        }
        return false;
    }

    // ---- channels -------------------------------------------------------------------------------

    private static int refusedChannel(AclUser user, AclCatalog.Channels kind, RespRequest r, int offset) {
        int argc = r.argc() - offset;
        switch (kind) {
            case FIRST -> {
                return argc > 1 && !channelAllowed(user, r, offset + 1) ? 1 : -1;
            }
            case ALL -> {
                for (int i = 1; i < argc; i++) {
                    if (!channelAllowed(user, r, offset + i)) {
                        return i;
                    }
                }
                return -1;
            }
            case ALL_PATTERNS -> {
                for (int i = 1; i < argc; i++) {
                    String pattern = r.argString(offset + i);
                    if (user.channels.stream().noneMatch(c -> c.pattern().equals(pattern))) {
                        return i;
                    }
                }
                return -1;
            }
            default -> {
                return -1;
            }
        }
    }

    private static boolean channelAllowed(AclUser user, RespRequest r, int arg) {
        for (AclUser.ChannelPattern c : user.channels) {
            if (c.glob().matches(r.buffer(), r.argIndex(arg), r.argLength(arg))) {
                return true;
            }
        }
        return false;
    }
}
