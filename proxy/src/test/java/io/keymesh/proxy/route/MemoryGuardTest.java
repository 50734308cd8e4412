package io.keymesh.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** Reading Redis' denyoom flags from a COMMAND reply, subcommands included, in command table names. */
class MemoryGuardTest {

    @Test
    void denyoomCommandsAndSubcommandsAreReadInCommandTableForm() {
        Object reply = List.of(
                command("set", List.of("write", "denyoom"), List.of()),
                command("get", List.of("readonly", "fast"), List.of()),
                command("xgroup", List.of(), List.of(
                        command("xgroup|create", List.of("write", "denyoom"), List.of()),
                        command("xgroup|destroy", List.of("write"), List.of()))),
                List.of(bytes("short")));
        assertEquals(Set.of("SET", "XGROUP|CREATE"), MemoryGuard.denyOomCommands(reply));
        assertEquals(Set.of(), MemoryGuard.denyOomCommands(null));
    }

    /** One COMMAND entry as the backend client parses it: flags are simple strings, the name a bulk. */
    private static List<Object> command(String name, List<String> flags, List<Object> subcommands) {
        return List.of(bytes(name), -1L, flags, 1L, 1L, 1L, List.of(), List.of(), List.of(), subcommands);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
