package io.keymesh.proxy.testsupport;

import io.lettuce.core.resource.ClientResources;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Best-effort cleanup shared by the test fixtures: stopping processes they started, deleting their temp dirs. */
public final class Teardown {
    private Teardown() {
    }

    /** Stops {@code p}: politely first, forcibly after 5 s; keeps the interrupt flag if interrupted. */
    public static void stopProcess(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Deletes {@code dir} and everything below it, ignoring failures. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp dir left behind is not a test failure
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }

    /** One step of a fixture's close, which may throw. */
    @FunctionalInterface
    public interface Step {
        /** Runs the step. */
        void run() throws Exception;
    }

    /**
     * A fixture's close: runs each step even when an earlier one failed, and throws the failures
     * together at the end.
     */
    public static final class Steps {
        private final List<Throwable> failures = new ArrayList<>();

        /** Runs {@code step}; a failure is kept for {@link #finish}. */
        public void run(Step step) {
            try {
                step.run();
            } catch (Throwable t) {
                failures.add(t);
            }
        }

        /**
         * The last steps of every fixture: shuts down its Lettuce {@code resources}, deletes its directory
         * {@code root}, then throws "{@code what} failed" with every failure kept, if any.
         */
        public void finish(ClientResources resources, Path root, String what) {
            run(() -> resources.shutdown(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS));
            deleteTree(root);
            if (!failures.isEmpty()) {
                IllegalStateException e = new IllegalStateException(what + " failed");
                failures.forEach(e::addSuppressed);
                throw e;
            }
        }
    }
}
