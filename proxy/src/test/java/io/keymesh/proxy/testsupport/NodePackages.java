package io.keymesh.proxy.testsupport;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** Node.js packages for library tests: installed with npm under proxy/target/&lt;dir&gt; (kept between runs) and scripts run there. */
public final class NodePackages {
    private NodePackages() {
    }

    /** A finished command: its exit code and its output (stdout and stderr). */
    public record Run(int exit, String output) {
    }

    /** The executable {@code name} on PATH, or null. */
    public static Path onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * The executable {@code name} on PATH; fails the test when it is missing, for tests that must run
     * wherever the suite runs.
     */
    public static Path require(String name) {
        Path path = onPath(name);
        if (path == null) {
            Assertions.fail(name + " is not on PATH (CI installs Node.js 18+ with npm; bin/setup --test installs it "
                    + "locally): the test cannot run without it");
        }
        return path;
    }

    /** Runs {@code command} in {@code dir}; a run past {@code timeoutSeconds} is killed and returned with exit -1. */
    public static Run run(Path dir, long timeoutSeconds, List<String> command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("keymesh-node", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            try {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    return new Run(-1, Files.readString(log, StandardCharsets.UTF_8)
                            + "\n(killed: did not finish within " + timeoutSeconds + " s)");
                }
            } finally {
                Teardown.stopProcess(p);
            }
            return new Run(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /**
     * proxy/target/{@code dirName} with {@code packages} installed by npm (skipped when every one is
     * there already); the test is skipped, saying why, when node or npm is missing or npm cannot
     * install them.
     */
    public static Path install(String dirName, List<String> packages) throws IOException, InterruptedException {
        for (String tool : List.of("node", "npm")) {
            Assumptions.assumeTrue(onPath(tool) != null, tool + " is not on PATH (bin/setup --test installs Node.js): "
                    + "cannot install " + packages);
        }
        Path dir = targetDir(dirName);
        List<String> absent = new ArrayList<>();
        for (String pkg : packages) {
            if (!Files.exists(dir.resolve("node_modules").resolve(pkg).resolve("package.json"))) {
                absent.add(pkg);
            }
        }
        if (absent.isEmpty()) {
            return dir;
        }
        createPackage(dir);
        List<String> command = new ArrayList<>(List.of(onPath("npm").toString(), "install", "--no-audit", "--no-fund",
                "--loglevel=error"));
        command.addAll(packages);
        Run install = run(dir, 300, command);
        Assumptions.assumeTrue(install.exit() == 0, "npm install " + String.join(" ", packages) + " failed, so the test "
                + "cannot run:\n" + install.output());
        return dir;
    }

    /**
     * proxy/target/node-redis with node-redis 4 (npm package redis@4) installed (kept between runs);
     * fails the test when node or npm is missing or npm cannot install it.
     */
    public static Path nodeRedis4() throws IOException, InterruptedException {
        require("node");
        Path npm = require("npm");
        Path dir = targetDir("node-redis");
        Path installed = dir.resolve("node_modules/redis/package.json");
        if (Files.exists(installed) && Files.readString(installed).contains("\"version\": \"4.")) {
            return dir;
        }
        createPackage(dir);
        Run install = run(dir, 300, List.of(npm.toString(), "install", "--no-audit", "--no-fund", "--loglevel=error",
                "redis@4"));
        Assertions.assertEquals(0, install.exit(), "npm install redis@4 failed:\n" + install.output());
        Assertions.assertTrue(Files.exists(installed), "npm install did not install node_modules/redis:\n" + install.output());
        return dir;
    }

    private static Path targetDir(String dirName) {
        Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        return module.resolve("target").resolve(dirName).toAbsolutePath();
    }

    /** Makes {@code dir} an npm package that packages can be installed into. */
    private static void createPackage(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (!Files.exists(dir.resolve("package.json"))) {
            Files.writeString(dir.resolve("package.json"), "{\"name\": \"keymesh-" + dir.getFileName() + "\", \"private\": true}\n");
        }
    }

    /** The version npm installed of {@code pkg} in {@code dir}. */
    public static String version(Path dir, String pkg) throws IOException {
        String json = Files.readString(dir.resolve("node_modules").resolve(pkg).resolve("package.json"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
        return m.find() ? m.group(1) : "unknown";
    }
}
