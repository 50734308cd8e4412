package io.keymesh.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The apply library's names (its functions {@code km_*} and its state keys {@code km:*}) appear only
 * in storage-adapter: topology's and proxy's main sources go through its typed calls.
 */
class ApplyContractTest {
    /** A library function or state-key name. */
    private static final Pattern NAME = Pattern.compile("km[_:]");
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static List<String> spellings(String module) throws IOException {
        Path main = ROOT.resolve(module).resolve("src/main");
        assertTrue(Files.isDirectory(main.resolve("java")), main + " holds the module's sources");
        List<String> found = new ArrayList<>();
        int files = 0;
        try (Stream<Path> paths = Files.walk(main)) {
            for (Path p : paths.filter(Files::isRegularFile).toList()) {
                files++;
                List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    if (NAME.matcher(lines.get(i)).find()) {
                        found.add(ROOT.relativize(p) + ":" + (i + 1) + ": " + lines.get(i).strip());
                    }
                }
            }
        }
        assertTrue(files > 20, module + " main sources were read: " + files + " files");
        return found;
    }

    @Test
    void topologyNeverSpellsALibraryName() throws IOException {
        assertEquals(List.of(), spellings("topology"), "use storage-adapter's apply calls");
    }

    @Test
    void proxyNeverSpellsALibraryName() throws IOException {
        assertEquals(List.of(), spellings("proxy"), "use storage-adapter's apply calls");
    }

    @Test
    void storageAdapterDoesSpellThem() throws IOException {
        assertTrue(spellings("storage-adapter").size() > 10, "the scan recognises the names where they live");
    }
}
