package io.keymesh.proxy.command;

import io.keymesh.storage.merge.MergeRule;
import io.keymesh.storage.merge.WriteCommands;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The command table: every command keymesh knows, looked up by the name bytes as they arrived,
 * case-insensitively and without allocating.
 *
 * <p>Subcommands ("CLIENT|LIST") are looked up in two steps: the container row first, then
 * {@link #lookupSubcommand}. The table is built once by {@link Commands#standard()} and is
 * immutable; the builder rejects duplicates and subcommands without their container.
 */
public final class CommandTable {
    private final byte[][] names;     // upper-case names, open addressing, power-of-two size
    private final CommandSpec[] specs;
    private final int mask;
    private final Map<String, CommandSpec> byName;
    private final java.util.Set<CommandSpec> containers;

    private CommandTable(Map<String, CommandSpec> rows) {
        int size = Integer.highestOneBit(Math.max(16, rows.size() * 4) - 1) << 1;
        this.names = new byte[size][];
        this.specs = new CommandSpec[size];
        this.mask = size - 1;
        for (CommandSpec spec : rows.values()) {
            byte[] name = spec.name().getBytes(StandardCharsets.US_ASCII);
            int slot = hash(name, 0, name.length) & mask;
            while (names[slot] != null) {
                slot = (slot + 1) & mask;
            }
            names[slot] = name;
            specs[slot] = spec;
        }
        this.byName = Collections.unmodifiableMap(rows);
        this.containers = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (String name : rows.keySet()) {
            int bar = name.indexOf('|');
            if (bar > 0) {
                containers.add(rows.get(name.substring(0, bar)));
            }
        }
    }

    /** True for a row that has subcommand rows ("CLIENT", "CONFIG"). */
    public boolean hasSubcommands(CommandSpec spec) {
        return containers.contains(spec);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** All rows, commands and subcommands, in the order they were declared. */
    public Map<String, CommandSpec> rows() {
        return byName;
    }

    /** Looks a row up by its upper- or lower-case name ("GET", "client|list"); null when unknown. */
    public CommandSpec get(String name) {
        return byName.get(name.toUpperCase(Locale.ROOT));
    }

    /** Looks up the command named by {@code length} bytes of {@code buf} at {@code index}; null when unknown. */
    public CommandSpec lookup(ByteBuf buf, int index, int length) {
        return find(buf, index, length, null);
    }

    /** Looks up {@code container|<bytes>}; null when the container has no such subcommand. */
    public CommandSpec lookupSubcommand(CommandSpec container, ByteBuf buf, int index, int length) {
        return find(buf, index, length, container.name());
    }

    private CommandSpec find(ByteBuf buf, int index, int length, String container) {
        if (length <= 0 || length > 64) {
            return null;
        }
        int prefix = container == null ? 0 : container.length() + 1;
        int h = container == null ? 1 : hashPrefix(container);
        for (int i = 0; i < length; i++) {
            h = 31 * h + upper(buf.getByte(index + i));
        }
        int slot = mix(h) & mask;
        while (true) {
            byte[] name = names[slot];
            if (name == null) {
                return null;
            }
            if (name.length == prefix + length && matches(name, prefix, buf, index, length)
                    && (container == null || startsWith(name, container))) {
                return specs[slot];
            }
            slot = (slot + 1) & mask;
        }
    }

    private static boolean matches(byte[] name, int from, ByteBuf buf, int index, int length) {
        for (int i = 0; i < length; i++) {
            if (name[from + i] != upper(buf.getByte(index + i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean startsWith(byte[] name, String container) {
        for (int i = 0; i < container.length(); i++) {
            if (name[i] != container.charAt(i)) {
                return false;
            }
        }
        return name[container.length()] == '|';
    }

    private static byte upper(byte b) {
        return b >= 'a' && b <= 'z' ? (byte) (b - 32) : b;
    }

    private static int hashPrefix(String container) {
        int h = 1;
        for (int i = 0; i < container.length(); i++) {
            h = 31 * h + container.charAt(i);
        }
        return 31 * h + '|';
    }

    private static int hash(byte[] name, int from, int to) {
        int h = 1;
        for (int i = from; i < to; i++) {
            h = 31 * h + name[i];
        }
        return mix(h);
    }

    private static int mix(int h) {
        return h ^ (h >>> 16);
    }

    /** Declares rows; {@link #build()} checks them. */
    public static final class Builder {
        private final Map<String, CommandSpec> rows = new LinkedHashMap<>();

        /** A row with everything spelled out. */
        public Builder add(CommandSpec spec) {
            if (rows.putIfAbsent(spec.name(), spec) != null) {
                throw new IllegalArgumentException("duplicate command " + spec.name());
            }
            return this;
        }

        /** A non-write command. */
        public Builder add(String name, int arity, KeySpec keys, CommandClass kind, Handling handling) {
            return add(new CommandSpec(name, arity, keys, kind, handling, null, null));
        }

        /**
         * A write command forwarded as it is (standalone) or applied with its merge rule (replicated),
         * which {@link WriteCommands} holds; throws for a command it does not list.
         */
        public Builder write(String name, int arity, KeySpec keys) {
            return add(new CommandSpec(name, arity, keys, CommandClass.WRITE, Handling.FORWARD, ruleOf(name), null));
        }

        /** A write command that must run on the client's own connection (blocking pops and moves). */
        public Builder blockingWrite(String name, int arity, KeySpec keys) {
            return add(new CommandSpec(name, arity, keys, CommandClass.WRITE, Handling.PIN, ruleOf(name), null));
        }

        private static MergeRule ruleOf(String name) {
            MergeRule rule = WriteCommands.rule(name);
            if (rule == null) {
                throw new IllegalArgumentException(name + " is not a write command: WriteCommands has no merge rule for it");
            }
            return rule;
        }

        /** A command keymesh refuses, with the error text (without the leading '-'). */
        public Builder refuse(String name, int arity, KeySpec keys, CommandClass kind, String error) {
            return add(new CommandSpec(name, arity, keys, kind, Handling.REFUSE, null, error));
        }

        public CommandTable build() {
            List<String> problems = new ArrayList<>();
            for (String name : rows.keySet()) {
                int bar = name.indexOf('|');
                if (bar > 0 && !rows.containsKey(name.substring(0, bar))) {
                    problems.add(name + " has no container row " + name.substring(0, bar));
                }
            }
            if (!problems.isEmpty()) {
                throw new IllegalStateException("command table: " + problems);
            }
            return new CommandTable(new LinkedHashMap<>(rows));
        }
    }
}
