package io.keymesh.topology.sim;

import java.util.Map;

/** {@code KEYMESH PULL <role> <origin> <seq> ...} as the simulated network carries it: who pulls, as what, from where. */
record PullRequest(String puller, String role, Map<String, Long> positions) {
}
