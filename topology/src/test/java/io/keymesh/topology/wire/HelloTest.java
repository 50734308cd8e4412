package io.keymesh.topology.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * KEYMESH HELLO carries its sender's log format and nonce and no secret; a HELLO without a log format,
 * or of link handshake 1, says what is wrong.
 */
class HelloTest {
    private static final String STAMP = "01a22da0e3d700006a8b55dd";

    @Test
    void aHelloSaysItsLogFormatAndNonceAndParsesBack() {
        Hello h = new Hello("6a8b55dd", "primary", "127.0.0.1:6401", STAMP);
        List<String> args = h.toArgs().stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
        assertEquals(List.of("KEYMESH", "HELLO", "6a8b55dd", "primary", "127.0.0.1:6401", STAMP,
                Integer.toString(Hello.LOG_FORMAT), h.nonce()), args);
        assertTrue(PeerAuth.validNonce(h.nonce()), h.nonce());
        assertEquals(h, Hello.parse(args.subList(2, args.size())));
        assertEquals(1, Hello.parse(List.of("6a8b55dd", "replica", "a:1", STAMP, "1", PeerAuth.nonce())).logFormat(),
                "another format parses: the mesh decides whether to link");
    }

    @Test
    void aHelloWithoutALogFormatOrWithABadOneOrABadNonceIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Hello.parse(List.of("6a8b55dd", "primary", "a:1", STAMP)));
        assertTrue(e.getMessage().contains("<log-format>") && e.getMessage().contains("same keymesh version"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Hello.parse(List.of("6a8b55dd", "primary", "a:1", STAMP, "two", PeerAuth.nonce())));
        assertTrue(e.getMessage().contains("bad log format 'two'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Hello.parse(List.of("6a8b55dd", "primary", "a:1", STAMP, "6", "abc")));
        assertTrue(e.getMessage().contains("bad nonce"), e.getMessage());
    }

    @Test
    void aHelloOfHandshakeOneWithTheSecretInClearIsNamedAsSuch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Hello.parse(List.of("change-me", "6a8b55dd", "primary", "a:1", STAMP, "6")));
        assertTrue(e.getMessage().contains("link handshake 1") && e.getMessage().contains("link handshake " + Hello.HANDSHAKE),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Hello.Reply.parse(List.of("6a8b55dd", STAMP, "4")));
        assertTrue(e.getMessage().contains("link handshake 1"), e.getMessage());
    }
}
