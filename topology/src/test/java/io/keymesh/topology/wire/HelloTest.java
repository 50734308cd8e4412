package io.keymesh.topology.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** KEYMESH HELLO carries the log format of its sender, and a HELLO without one says what is missing. */
class HelloTest {
    private static final String STAMP = "01a22da0e3d700006a8b55dd";

    @Test
    void aHelloSaysItsLogFormatAndParsesBack() {
        Hello h = new Hello("secret", "6a8b55dd", "primary", "127.0.0.1:6401", STAMP);
        List<String> args = h.toArgs().stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
        assertEquals(List.of("KEYMESH", "HELLO", "secret", "6a8b55dd", "primary", "127.0.0.1:6401", STAMP,
                Integer.toString(Hello.LOG_FORMAT)), args);
        assertEquals(h, Hello.parse(args.subList(2, args.size())));
        assertEquals(1, Hello.parse(List.of("s", "6a8b55dd", "replica", "a:1", STAMP, "1")).logFormat(),
                "another format parses: the mesh decides whether to link");
    }

    @Test
    void aHelloWithoutALogFormatOrWithABadOneIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Hello.parse(List.of("s", "6a8b55dd", "primary", "a:1", STAMP)));
        assertTrue(e.getMessage().contains("<log-format>") && e.getMessage().contains("same keymesh version"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Hello.parse(List.of("s", "6a8b55dd", "primary", "a:1", STAMP, "two")));
        assertTrue(e.getMessage().contains("bad log format 'two'"), e.getMessage());
    }
}
