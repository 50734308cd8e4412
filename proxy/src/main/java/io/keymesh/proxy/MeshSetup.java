package io.keymesh.proxy;

import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.proxy.config.NodeId;
import io.keymesh.storage.backend.BackendEndpoint;
import io.keymesh.topology.clock.HybridClock;
import io.keymesh.topology.clock.TimeSource;
import io.keymesh.topology.link.BackendAccess;
import io.keymesh.topology.link.LinkRuntime;
import io.keymesh.topology.link.LinkSettings;
import io.keymesh.topology.link.LinkSockets;
import io.keymesh.topology.link.PullLink;
import io.keymesh.proxy.replica.ReplicaRole;
import io.keymesh.topology.node.Mesh;
import io.keymesh.topology.node.MeshSettings;

/** Builds a node's {@link Mesh} from its configuration: node id, clock, settings, backend access. */
final class MeshSetup {
    private MeshSetup() {
    }

    static Mesh create(KeymeshConfig config, NodeId nodeId, HybridClock clock, BackendEndpoint endpoint, TimeSource time,
                       LinkSockets sockets) {
        KeymeshConfig.Cluster c = config.cluster();
        KeymeshConfig.Replication r = c.replication();
        KeymeshConfig.Storage storage = config.storage();
        MeshSettings settings = new MeshSettings(nodeId.value(), config.role(), c.advertise(), c.peers(), c.clusterSecret(),
                storage.databases(), c.maxClockOffset().toMillis(), r.logRetentionAge().toMillis(), r.logRetentionBytes(),
                r.tombstoneMaxAge().toMillis(), 1000, LinkSettings.defaults()
                .withReconnect(r.linkReconnectMin().toMillis(), LinkSettings.defaults().reconnectMaxMillis()).withSockets(sockets));
        BackendAccess backend = new BackendAccess(endpoint, storage.username(), storage.password(),
                (int) storage.connectTimeout().toMillis());
        return new Mesh(settings, clock, time, backend);
    }

    /**
     * A replica's following of its upstreams; it checks them (and forwards writes) with the node's own
     * requirepass, so replicas and primaries share it, and links and checks them with {@code sockets};
     * its link runs on {@code runtime} (the node's link threads, {@link Mesh#links()}).
     */
    static ReplicaRole replica(KeymeshConfig config, NodeId nodeId, HybridClock clock, BackendEndpoint endpoint,
                               TimeSource time, LinkSockets sockets, LinkRuntime runtime) {
        KeymeshConfig.Storage storage = config.storage();
        KeymeshConfig.Cluster c = config.cluster();
        BackendAccess backend = new BackendAccess(endpoint, storage.username(), storage.password(),
                (int) storage.connectTimeout().toMillis());
        PullLink.Self self = new PullLink.Self(nodeId.value(), "replica", c.advertise(), c.clusterSecret(),
                storage.databases());
        String password = config.requirepass().isEmpty() ? null : config.requirepass();
        return new ReplicaRole(config.replica(), self, clock, time, backend, null, password, sockets, runtime);
    }
}
