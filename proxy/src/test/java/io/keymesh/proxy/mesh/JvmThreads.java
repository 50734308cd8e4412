package io.keymesh.proxy.mesh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The names of another JVM's threads, as {@code jcmd <pid> Thread.print} lists them. */
public final class JvmThreads {
    private static final Pattern NAME = Pattern.compile("^\"([^\"]+)\"", Pattern.MULTILINE);

    private JvmThreads() {
    }

    /** Every thread of process {@code pid}, in jcmd's order. */
    public static List<String> of(long pid) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print").redirectErrorStream(true)
                .start();
        String dump = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("jcmd " + pid + " Thread.print: " + dump);
        }
        List<String> names = new ArrayList<>();
        Matcher m = NAME.matcher(dump);
        while (m.find()) {
            names.add(m.group(1));
        }
        if (names.isEmpty()) {
            throw new IOException("no threads in jcmd Thread.print: " + dump);
        }
        return names;
    }
}
