package io.keymesh.topology.link;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A link driver's actions still to perform, in the order its machine asked for them. Actions whose
 * outcome comes at once bring further actions while the first are performed; those join the end of
 * the queue instead of running inside the action that brought them. Used on the driver's loop only.
 */
final class ActionQueue {
    /** Performs one action. */
    interface Performer {
        void perform(LinkAction action) throws Exception;
    }

    private final Deque<LinkAction> todo = new ArrayDeque<>();
    private final Performer performer;
    private final Consumer<Exception> failed;
    private final BooleanSupplier live;
    private boolean running;

    /** Actions go to {@code performer} while {@code live}; one that throws goes to {@code failed}. */
    ActionQueue(Performer performer, Consumer<Exception> failed, BooleanSupplier live) {
        this.performer = performer;
        this.failed = failed;
        this.live = live;
    }

    /** Performs {@code actions} after those queued already. */
    void run(List<LinkAction> actions) {
        todo.addAll(actions);
        if (running) {
            return;
        }
        running = true;
        try {
            LinkAction action;
            while ((action = todo.poll()) != null && live.getAsBoolean()) {
                try {
                    performer.perform(action);
                } catch (Exception e) {
                    failed.accept(e);
                }
            }
        } finally {
            running = false;
        }
    }

    /** Drops the actions not performed yet. */
    void clear() {
        todo.clear();
    }
}
