package io.keymesh.proxy.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Users in a mesh are configuration: every node enforces the same rules, a permitted write
 * replicates, and ACL SETUSER / DELUSER are refused on a node that replicates so no node drifts.
 */
class AclMeshIT extends MeshTest {
    private static final String NOPERM_KEY = "NOPERM this user has no permissions to access one of the keys used as arguments";

    private static Jedis jedis(MeshNode node, String user, String password) {
        Jedis j = new Jedis("127.0.0.1", node.port(), 10_000);
        j.auth(user, password);
        return j;
    }

    @Test
    void everyNodeEnforcesTheConfiguredRulesAndRefusesRuntimeChanges() {
        mesh = MeshFixture.builder().nodes(2)
                .setting("keymesh.requirepass", "admin-pw")
                .setting("keymesh.users", List.of(Map.of("name", "app", "password", "app-pw",
                        "rules", List.of("~app:*", "+@all", "-@dangerous"))))
                .start();
        MeshNode a = mesh.node(0);
        MeshNode b = mesh.node(1);
        try (Jedis appA = jedis(a, "app", "app-pw"); Jedis appB = jedis(b, "app", "app-pw");
             Jedis adminA = jedis(a, "default", "admin-pw"); Jedis adminB = jedis(b, "default", "admin-pw")) {
            assertEquals("OK", appA.set("app:1", "from-a"));
            Await.until(CONVERGE, "B has A's write", () -> "from-a".equals(appB.get("app:1")), () -> appB.get("app:1"));
            for (Jedis app : List.of(appA, appB)) {
                assertEquals(NOPERM_KEY, assertThrows(JedisDataException.class, () -> app.set("other", "v")).getMessage());
            }
            assertEquals(adminA.aclList(), adminB.aclList(), "the same users on both nodes");
            JedisDataException set = assertThrows(JedisDataException.class, () -> adminA.aclSetUser("extra", "on"));
            assertTrue(set.getMessage().startsWith("ERR ACL SETUSER is not allowed on a node that replicates"), set.getMessage());
            JedisDataException del = assertThrows(JedisDataException.class, () -> adminB.aclDelUser("app"));
            assertTrue(del.getMessage().startsWith("ERR ACL DELUSER is not allowed on a node that replicates"), del.getMessage());
            assertEquals(List.of("app", "default"), adminB.aclUsers());
        }
    }
}
