package io.keymesh.storage.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/design/merge.md's table, the one users read, against {@link WriteCommands}: every write
 * command named in a row has that row's rule, and every write command is named somewhere.
 */
class MergeDocTest {
    private static final Path MERGE_MD = Path.of("..", "docs", "design", "merge.md");
    private static final Pattern CODE = Pattern.compile("`([^`]+)`");

    /** A table row: the commands cell and the rule cell ("-" for rows that are not a write command's). */
    private record Row(String commands, String rule) {
    }

    @Test
    void theTableGivesEveryWriteCommandItsRule() throws IOException {
        List<String> wrong = new ArrayList<>();
        Set<String> named = new TreeSet<>();
        List<Row> rows = rows();
        assertTrue(rows.size() > 10, "merge.md has its table: " + rows.size() + " rows");
        for (Row row : rows) {
            Matcher m = CODE.matcher(row.commands());
            while (m.find()) {
                String name = commandName(m.group(1));
                MergeRule rule = WriteCommands.rule(name);
                if (rule == null) {
                    continue;
                }
                named.add(name);
                if (!row.rule().equals(rule.name())) {
                    wrong.add(name + " is " + rule + " in WriteCommands but " + row.rule() + " in merge.md");
                }
            }
        }
        assertEquals(List.of(), wrong);
        Set<String> missing = new TreeSet<>();
        for (String name : WriteCommands.rules().keySet()) {
            boolean container = WriteCommands.rules().keySet().stream().anyMatch(n -> n.startsWith(name + "|"));
            boolean covered = named.contains(name) || container && named.stream().anyMatch(n -> n.startsWith(name + "|"));
            if (!covered) {
                missing.add(name);
            }
        }
        assertEquals(Set.of(), missing, "write commands merge.md's table does not name");
    }

    /** "XGROUP CREATE" -> "XGROUP|CREATE", "SORT … STORE" -> "SORT", "ZADD" -> "ZADD". */
    private static String commandName(String code) {
        String[] words = code.trim().split("\\s+");
        String first = words[0].toUpperCase(Locale.ROOT);
        if (words.length > 1) {
            String sub = first + "|" + words[1].toUpperCase(Locale.ROOT);
            if (WriteCommands.rule(sub) != null) {
                return sub;
            }
        }
        return first;
    }

    private static List<Row> rows() throws IOException {
        List<Row> rows = new ArrayList<>();
        boolean inTable = false;
        for (String line : Files.readAllLines(MERGE_MD)) {
            if (line.startsWith("| command family | rule |")) {
                inTable = true;
                continue;
            }
            if (!inTable || line.startsWith("| ---")) {
                continue;
            }
            if (!line.startsWith("|")) {
                break;
            }
            String[] cells = line.split(" \\| ");
            String rule = cells[1].trim().replace("`", "");
            rows.add(new Row(cells[0].substring(1), rule));
        }
        return rows;
    }
}
