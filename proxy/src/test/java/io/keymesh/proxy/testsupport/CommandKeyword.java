package io.keymesh.proxy.testsupport;

import io.lettuce.core.protocol.ProtocolKeyword;

import java.nio.charset.StandardCharsets;

/** Turns any command name into a Lettuce {@link ProtocolKeyword}, for {@code dispatch} of untyped commands. */
public final class CommandKeyword {
    private CommandKeyword() {
    }

    /** The keyword whose wire bytes are {@code name} in US-ASCII. */
    public static ProtocolKeyword of(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        return new ProtocolKeyword() {
            @Override
            public byte[] getBytes() {
                return bytes;
            }

            @Override
            public String name() {
                return name;
            }
        };
    }
}
