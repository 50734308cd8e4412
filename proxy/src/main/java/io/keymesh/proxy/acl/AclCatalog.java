package io.keymesh.proxy.acl;

import io.keymesh.proxy.command.CommandSpec;
import io.keymesh.proxy.command.CommandTable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every command of keymesh's command table as the ACL sees it: a dense ordinal (a user's allowed
 * commands are a bit set over these), its Redis name ("get", "config|get"), categories, key
 * specifications and channel arguments. Categories and key specifications are the backend's own
 * (its {@code COMMAND} reply, read once at start); the rows are keymesh's command table.
 */
public final class AclCatalog {
    /** Which arguments of a command are Pub/Sub channels. */
    public enum Channels {
        /** None. */
        NONE,
        /** Argument 1 (PUBLISH, SPUBLISH). */
        FIRST,
        /** Every argument after the name (SUBSCRIBE, SSUBSCRIBE). */
        ALL,
        /** Every argument after the name, as patterns that must equal a user's channel pattern (PSUBSCRIBE). */
        ALL_PATTERNS
    }

    private final Map<CommandSpec, Integer> ordinals = new IdentityHashMap<>();
    private final Map<String, Integer> byName = new HashMap<>();
    private final String[] names;
    private final int[] categories;
    private final KeySearch[][] keys;
    private final int[] container;
    private final int[][] subcommands;
    private final Channels[] channels;

    private AclCatalog(CommandTable table, Map<String, CommandFacts> facts) {
        List<CommandSpec> rows = new ArrayList<>(table.rows().values());
        int n = rows.size();
        names = new String[n];
        categories = new int[n];
        keys = new KeySearch[n][];
        container = new int[n];
        subcommands = new int[n][];
        channels = new Channels[n];
        for (int i = 0; i < n; i++) {
            CommandSpec spec = rows.get(i);
            ordinals.put(spec, i);
            names[i] = spec.name().toLowerCase(Locale.ROOT);
            byName.put(names[i], i);
            CommandFacts f = facts.get(names[i]);
            categories[i] = f == null ? 0 : f.categories();
            keys[i] = f == null ? new KeySearch[0] : f.keys().toArray(new KeySearch[0]);
            channels[i] = switch (names[i]) {
                case "publish", "spublish" -> Channels.FIRST;
                case "subscribe", "ssubscribe" -> Channels.ALL;
                case "psubscribe" -> Channels.ALL_PATTERNS;
                default -> Channels.NONE;
            };
        }
        Map<Integer, List<Integer>> subs = new HashMap<>();
        for (int i = 0; i < n; i++) {
            int bar = names[i].indexOf('|');
            container[i] = bar < 0 ? -1 : byName.get(names[i].substring(0, bar));
            if (bar >= 0) {
                subs.computeIfAbsent(container[i], k -> new ArrayList<>()).add(i);
            }
        }
        for (int i = 0; i < n; i++) {
            subcommands[i] = subs.getOrDefault(i, List.of()).stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** The catalog of {@code table} with the facts the backend gave ({@link CommandFacts#parse}). */
    public static AclCatalog of(CommandTable table, Map<String, CommandFacts> facts) {
        return new AclCatalog(table, facts);
    }

    /** Number of commands (and subcommands). */
    public int size() {
        return names.length;
    }

    /** The ordinal of a command table row, or -1 for a row of another table. */
    public int ordinal(CommandSpec spec) {
        Integer i = ordinals.get(spec);
        return i == null ? -1 : i;
    }

    /** The ordinal of a command by its Redis name ("get", "CONFIG|GET"), or -1. */
    public int ordinal(String name) {
        Integer i = byName.get(name.toLowerCase(Locale.ROOT));
        return i == null ? -1 : i;
    }

    /** Redis' full name of a command: "get", "config|get". */
    public String name(int ordinal) {
        return names[ordinal];
    }

    public int categories(int ordinal) {
        return categories[ordinal];
    }

    /** The container's ordinal for a subcommand, -1 for a command. */
    public int container(int ordinal) {
        return container[ordinal];
    }

    /** The subcommands' ordinals of a container (empty for other commands). */
    public int[] subcommands(int ordinal) {
        return subcommands[ordinal];
    }

    KeySearch[] keys(int ordinal) {
        return keys[ordinal];
    }

    Channels channels(int ordinal) {
        return channels[ordinal];
    }

    /** The names of the commands in a category (category bit from {@link AclCategory#bit}), in table order. */
    public List<String> commandsIn(int categoryBit) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            if ((categories[i] & categoryBit) != 0) {
                out.add(names[i]);
            }
        }
        return out;
    }
}
