package io.keymesh.proxy;

import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.link.BackendAccess;
import io.keymesh.topology.link.LinkSettings;
import io.keymesh.topology.node.Mesh;
import io.keymesh.topology.node.MeshSettings;
import io.keymesh.topology.node.NodeIdFile;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Builds a node's {@link Mesh} from its configuration: node id, clock, settings, backend access. */
final class MeshSetup {
    private MeshSetup() {
    }

    static Mesh create(KeymeshConfig config, BackendEndpoint endpoint, TimeSource time) {
        KeymeshConfig.Mesh m = config.mesh();
        KeymeshConfig.Storage storage = config.storage();
        String nodeId;
        try {
            nodeId = NodeIdFile.loadOrCreate(config.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the node id in " + config.dataDir(), e);
        }
        MeshSettings settings = new MeshSettings(nodeId, config.role(), m.advertise(), m.peers(), m.clusterSecret(),
                storage.databases(), m.maxClockOffsetMillis(), m.logRetentionMillis(), m.logRetentionBytes(),
                m.tombstoneMaxAgeMillis(), 1000, LinkSettings.defaults());
        HybridClock clock = new HybridClock(time, m.maxClockOffsetMillis());
        BackendAccess backend = new BackendAccess(endpoint, storage.username(), storage.password(),
                (int) storage.connectTimeout().toMillis());
        return new Mesh(settings, clock, time, backend);
    }
}
