package io.keymesh.proxy.replica;

import io.keymesh.proxy.command.CommandSpec;
import io.keymesh.proxy.command.KeySpec;
import io.keymesh.proxy.resp.RespRequest;
import io.keymesh.topology.failover.RegionLocalKeys;

import java.util.ArrayList;
import java.util.List;

/**
 * Decides whether a write stays on this node ({@code keymesh.region-local-keys}): true when the
 * command names keys at fixed positions and every one of them matches some pattern.
 */
public final class RegionLocalMatcher {
    private final List<GlobPattern> patterns = new ArrayList<>();

    public RegionLocalMatcher(RegionLocalKeys keys) {
        for (String p : keys.patterns()) {
            patterns.add(new GlobPattern(p));
        }
    }

    /** True when no pattern is configured (the common case: nothing to check). */
    public boolean isEmpty() {
        return patterns.isEmpty();
    }

    /** True when every key of {@code r} matches a region-local pattern (and it has at least one). */
    public boolean allKeysLocal(CommandSpec spec, RespRequest r) {
        KeySpec k = spec.keys();
        if (patterns.isEmpty() || k.first() <= 0 || k.movable() || k.first() >= r.argc()) {
            return false;
        }
        int last = k.last() < 0 ? r.argc() + k.last() : Math.min(k.last(), r.argc() - 1);
        int step = Math.max(1, k.step());
        for (int i = k.first(); i <= last; i += step) {
            if (!matchesAny(r.argBytes(i))) {
                return false;
            }
        }
        return true;
    }

    private boolean matchesAny(byte[] key) {
        for (GlobPattern p : patterns) {
            if (p.matches(key)) {
                return true;
            }
        }
        return false;
    }
}
