package io.keymesh.topology.sim;

import io.keymesh.topology.link.LinkAction;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * What the drivers of both link ends share: perform a machine's actions in order, each with its
 * outcome fed back as the next event, and turn {@code Timer} actions into simulation events. Dead
 * once its connection or node is gone: its actions and timers then do nothing.
 */
abstract class MachineDriver {
    final Simulation sim;
    final SimNode node;
    boolean alive = true;

    MachineDriver(Simulation sim, SimNode node) {
        this.sim = sim;
        this.node = node;
    }

    /** Performs one action (the subclass knows its end's). */
    abstract void act(LinkAction action) throws IOException;

    /** The machine's event for a timer it asked for. */
    abstract List<LinkAction> onTimer(long nowNanos);

    final void perform(List<LinkAction> actions) {
        for (LinkAction a : actions) {
            if (!alive) {
                return;
            }
            if (a instanceof LinkAction.Timer t) {
                sim.at(t.atNanos(), () -> {
                    if (alive) {
                        perform(onTimer(sim.nowNanos()));
                    }
                });
                continue;
            }
            try {
                act(a);
            } catch (IOException e) {
                throw new UncheckedIOException("backend call of " + node + " for " + a + " failed", e);
            }
        }
    }
}
