package io.keymesh.storage.merge;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The command facts as Lua source for the apply library: one local table {@code CMD} built from
 * {@link WriteCommands} and {@link MergeRule}, which the library's write path dispatches on. The
 * library text is the apply resources with this chunk between the first part and the rest.
 *
 * <pre>
 * local CMD = {
 *   rule = { append = 'lww_register', ... },       -- write command (lower case) -> its rule
 *   member_type = { hash_field = 'hash', ... },     -- per-member rule -> the type it merges
 *   member_counter = { hash_field_counter = true }, -- per-member rules whose members count
 *   refused = { swapdb = 'ERR keymesh: ...' },      -- error text of the commands refused
 * }
 * </pre>
 * A subcommand row ("XGROUP|CREATE") is not listed: the library sees the container's rule.
 */
public final class LibraryFacts {
    private static final String SOURCE = build();

    private LibraryFacts() {
    }

    /** The generated Lua chunk, ending with a newline. */
    public static String source() {
        return SOURCE;
    }

    private static String build() {
        StringBuilder lua = new StringBuilder();
        lua.append("-- keymesh apply library, generated part: the command facts, from io.keymesh.storage.merge.WriteCommands\n");
        lua.append("-- and MergeRule (LibraryFacts builds it as the library loads; change the Java table, not this)\n");
        lua.append("local CMD = {\n");
        Map<String, String> rules = new TreeMap<>();
        Map<String, String> refused = new TreeMap<>();
        for (Map.Entry<String, MergeRule> row : WriteCommands.rules().entrySet()) {
            if (row.getKey().indexOf('|') >= 0) {
                continue;
            }
            String name = lower(row.getKey());
            rules.put(name, lower(row.getValue().name()));
            String refusal = WriteCommands.refusal(row.getKey());
            if (refusal != null) {
                refused.put(name, refusal);
            }
        }
        Map<String, String> memberTypes = new TreeMap<>();
        Map<String, String> memberCounters = new TreeMap<>();
        for (MergeRule rule : MergeRule.values()) {
            if (rule.memberType() != null) {
                memberTypes.put(lower(rule.name()), rule.memberType());
            }
            if (rule.countsMembers()) {
                memberCounters.put(lower(rule.name()), null);
            }
        }
        table(lua, "rule", rules);
        table(lua, "member_type", memberTypes);
        table(lua, "member_counter", memberCounters);
        table(lua, "refused", refused);
        lua.append("}\n");
        return lua.toString();
    }

    /** {@code  name = { key = 'value', ... },} one entry a line; a null value is written as {@code true}. */
    private static void table(StringBuilder lua, String name, Map<String, String> entries) {
        lua.append("  ").append(name).append(" = {\n");
        for (Map.Entry<String, String> e : entries.entrySet()) {
            lua.append("    ['").append(e.getKey()).append("'] = ");
            lua.append(e.getValue() == null ? "true" : quote(e.getValue())).append(",\n");
        }
        lua.append("  },\n");
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("'");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.append('\'').toString();
    }

    private static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
