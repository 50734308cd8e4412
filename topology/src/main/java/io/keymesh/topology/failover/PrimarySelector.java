package io.keymesh.topology.failover;

import io.keymesh.topology.health.HealthListener;
import io.keymesh.topology.health.HealthState;
import io.keymesh.topology.health.UpstreamAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses which primary a replica follows from its ordered upstream list, fed by health changes.
 *
 * <ul>
 *   <li>With nothing selected, the first usable upstream in list order is taken.</li>
 *   <li>When the selected upstream goes down, the next usable one after it in list order (wrapping
 *       around) is taken; with {@code preferFirst}, the first usable one in list order.</li>
 *   <li>Without {@code preferFirst} a replica stays with a working upstream. With {@code preferFirst}
 *       it moves back as soon as an upstream earlier in the list is usable again.</li>
 *   <li>When no upstream is usable, nothing is selected until one is.</li>
 * </ul>
 *
 * <p>All upstreams start unusable (unchecked). It implements {@link HealthListener}, so it can be
 * given straight to a {@link io.keymesh.topology.health.HealthMonitor}; only changes of
 * {@link HealthState#isUp()} matter to it.
 */
public final class PrimarySelector implements HealthListener {
    private static final Logger log = LoggerFactory.getLogger(PrimarySelector.class);

    private final List<UpstreamAddress> upstreams;
    private final boolean preferFirst;
    private final boolean[] usable; // guarded by this
    private final List<SelectionListener> listeners = new CopyOnWriteArrayList<>();
    private int selected = -1; // guarded by this

    /** A selector over {@code upstreams} in priority order; nothing is selected until one is reported up. */
    public PrimarySelector(List<UpstreamAddress> upstreams, boolean preferFirst) {
        Objects.requireNonNull(upstreams, "upstreams");
        if (upstreams.isEmpty()) {
            throw new IllegalArgumentException("a replica needs at least one upstream");
        }
        if (upstreams.stream().distinct().count() != upstreams.size()) {
            throw new IllegalArgumentException("upstreams listed twice in " + upstreams);
        }
        this.upstreams = List.copyOf(upstreams);
        this.preferFirst = preferFirst;
        this.usable = new boolean[upstreams.size()];
    }

    /** Adds a listener for switches. */
    public void addListener(SelectionListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** The upstream to follow now, or empty when none is usable. */
    public synchronized Optional<UpstreamAddress> current() {
        return selected < 0 ? Optional.empty() : Optional.of(upstreams.get(selected));
    }

    /** The upstreams in priority order. */
    public List<UpstreamAddress> upstreams() {
        return upstreams;
    }

    /** The upstreams usable now, in priority order. */
    public synchronized List<UpstreamAddress> usableUpstreams() {
        List<UpstreamAddress> out = new ArrayList<>();
        for (int i = 0; i < usable.length; i++) {
            if (usable[i]) {
                out.add(upstreams.get(i));
            }
        }
        return out;
    }

    @Override
    public void onStateChange(UpstreamAddress upstream, HealthState from, HealthState to, String reason) {
        if (from.isUp() != to.isUp()) {
            onAvailability(upstream, to.isUp(), reason);
        }
    }

    /**
     * {@code upstream} became usable ({@code up}) or unusable; re-selects if that matters.
     *
     * @throws IllegalArgumentException when {@code upstream} is not in the list
     */
    public synchronized void onAvailability(UpstreamAddress upstream, boolean up, String reason) {
        int i = upstreams.indexOf(upstream);
        if (i < 0) {
            throw new IllegalArgumentException(upstream + " is not one of the upstreams " + upstreams);
        }
        if (usable[i] == up) {
            return;
        }
        usable[i] = up;
        if (selected < 0) {
            if (up) {
                switchTo(firstUsable(), upstream + " is up: " + reason);
            }
        } else if (i == selected && !up) {
            int next = preferFirst ? firstUsable() : nextUsableAfter(selected);
            switchTo(next, upstream + " is down: " + reason);
        } else if (up && preferFirst && i < selected) {
            switchTo(i, upstream + " is up again and preferred (prefer-first): " + reason);
        }
    }

    private int firstUsable() {
        for (int i = 0; i < usable.length; i++) {
            if (usable[i]) {
                return i;
            }
        }
        return -1;
    }

    private int nextUsableAfter(int from) {
        for (int step = 1; step < usable.length; step++) {
            int i = (from + step) % usable.length;
            if (usable[i]) {
                return i;
            }
        }
        return -1;
    }

    private void switchTo(int next, String reason) {
        if (next == selected) {
            return;
        }
        Optional<UpstreamAddress> from = selected < 0 ? Optional.empty() : Optional.of(upstreams.get(selected));
        Optional<UpstreamAddress> to = next < 0 ? Optional.empty() : Optional.of(upstreams.get(next));
        selected = next;
        log.info("following {} (was {}): {}", to.map(Object::toString).orElse("no upstream"),
                from.map(Object::toString).orElse("none"), reason);
        for (SelectionListener l : listeners) {
            l.onSwitch(from, to, reason);
        }
    }
}
