package io.keymesh.topology.node;

import io.keymesh.topology.link.LinkSettings;

import java.util.List;

/**
 * What a node needs to take part in the mesh: who it is, whom it pulls from, how peers
 * authenticate, how far ahead a peer clock may run, and how long its log is kept.
 *
 * @param clusterSecret shared by all nodes, proven both ways on every link; empty: none to prove (links then
 *                      rest on the client's AUTH or TLS client certificates, if any)
 * @param logRetentionMillis entries older than this are trimmed even if a peer has not acknowledged them
 * @param logRetentionBytes an origin's log is trimmed from its oldest entries to stay under this
 * @param tombstoneMaxAgeMillis tombstones older than this are collected (the library's tombstone collection)
 */
public record MeshSettings(
        String nodeId,
        String role,
        String advertise,
        List<String> peers,
        String clusterSecret,
        int databases,
        long clockOffsetMillisMax,
        long logRetentionMillis,
        long logRetentionBytes,
        long tombstoneMaxAgeMillis,
        long housekeepingMillis,
        LinkSettings link) {
    public MeshSettings {
        peers = List.copyOf(peers);
    }
}
