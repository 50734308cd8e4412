package io.keymesh.proxy.testsupport;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The main sources of the build's modules, scanned line by line by the contract tests. */
public final class MainSources {
    /** The repository root (tests run in the proxy module's directory). */
    public static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private MainSources() {
    }

    /**
     * Every line of {@code module}'s {@code src/main} (Java and resources) that {@code pattern}
     * finds, as {@code path:line: text} with the path relative to the root, in path order.
     */
    public static List<String> linesMatching(String module, Pattern pattern) throws IOException {
        Path main = ROOT.resolve(module).resolve("src/main");
        assertTrue(Files.isDirectory(main.resolve("java")), main + " holds the module's sources");
        List<String> found = new ArrayList<>();
        int files = 0;
        try (Stream<Path> paths = Files.walk(main)) {
            for (Path p : paths.filter(Files::isRegularFile).sorted().toList()) {
                files++;
                List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    if (pattern.matcher(lines.get(i)).find()) {
                        found.add(ROOT.relativize(p) + ":" + (i + 1) + ": " + lines.get(i).strip());
                    }
                }
            }
        }
        assertTrue(files > 20, module + " main sources were read: " + files + " files");
        return found;
    }
}
