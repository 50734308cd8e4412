package io.keymesh.proxy.acl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.keymesh.proxy.command.Commands;
import io.keymesh.proxy.config.KeymeshConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Users from the configuration, the ACL file written on every change and read back, and failures that change nothing. */
class AclUsersTest {
    private static final AclCatalog CATALOG = AclCatalog.of(Commands.standard(), Map.of());

    @TempDir
    Path dir;

    private static KeymeshConfig config(Map<String, Object> settings) {
        return KeymeshConfig.from(ConfigFactory.parseMap(settings).withFallback(ConfigFactory.defaultReference()).resolve());
    }

    private static KeymeshConfig withApp() {
        return config(Map.of("keymesh.requirepass", "admin", "keymesh.users",
                List.of(Map.of("name", "app", "password", "pw", "rules", "~app:* +@all"))));
    }

    @Test
    void usersComeFromRequirepassAndTheUsersList() {
        AclUsers users = AclUsers.load(withApp(), CATALOG, dir.resolve("users.acl"));
        assertEquals(List.of("app", "default"), users.names());
        assertNotNull(users.authenticate("default", "admin".getBytes()));
        assertNotNull(users.authenticate("app", "pw".getBytes()));
        assertNull(users.authenticate("app", "admin".getBytes()));
        assertFalse(users.defaultLogsInAlone());
        assertEquals("~app:*", users.ref("app").user().describeKeys());
        assertTrue(users.ref("default").user().unrestricted());
        assertFalse(Files.exists(dir.resolve("users.acl")), "no file until a runtime change");
        assertTrue(AclUsers.load(config(Map.of()), CATALOG, null).defaultLogsInAlone(), "no auth configured: nopass default");
    }

    @Test
    void aRuntimeChangeWritesTheWholeSetAndTheFileWinsAtTheNextStart() throws Exception {
        Path file = dir.resolve("users.acl");
        AclUsers users = AclUsers.load(withApp(), CATALOG, file);
        users.setUser("ops", List.of("on", ">ops", "~ops:*", "+get"));
        assertTrue(users.delete("app"));
        AclUsers again = AclUsers.load(withApp(), CATALOG, file);
        assertEquals(users.list(), again.list());
        assertEquals(List.of("default", "ops"), again.names(), "a deleted configured user stays deleted");
        assertNotNull(again.authenticate("ops", "ops".getBytes()));
    }

    @Test
    void aChangeThatCannotBeWrittenChangesNothing() throws Exception {
        Path notADirectory = dir.resolve("plain-file");
        Files.writeString(notADirectory, "x");
        AclUsers users = AclUsers.load(withApp(), CATALOG, notADirectory.resolve("users.acl"));
        assertThrows(IOException.class, () -> users.setUser("app", List.of("off")));
        assertTrue(users.ref("app").user().enabled(), "app is unchanged");
        assertThrows(IOException.class, () -> users.setUser("new", List.of("on")));
        assertNull(users.ref("new"));
        assertThrows(IOException.class, () -> users.delete("app"));
        assertNotNull(users.authenticate("app", "pw".getBytes()));
    }

    @Test
    void aBadFileOrRuleNamesWhereItIs() throws IOException {
        Path file = dir.resolve("users.acl");
        Files.writeString(file, "user default on nopass ~* &* +@all\nuser x on +nosuchcommand\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AclUsers.load(withApp(), CATALOG, file));
        assertTrue(e.getMessage().startsWith(file + ":2: rule '+nosuchcommand'"), e.getMessage());
        IllegalArgumentException c = assertThrows(IllegalArgumentException.class, () -> AclUsers.load(
                config(Map.of("keymesh.users", List.of(Map.of("name", "a", "rules", "~x bogus")))), CATALOG, null));
        assertTrue(c.getMessage().contains("rule 'bogus': Syntax error"), c.getMessage());
    }
}
