package io.keymesh.proxy.mesh;

import io.keymesh.proxy.testsupport.AnyOutput;
import io.keymesh.proxy.testsupport.CommandKeyword;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.CommandArgs;

import java.nio.charset.StandardCharsets;

/**
 * Sends any command through a Lettuce connection and returns the reply as byte-exact strings
 * (ISO-8859-1, one char per byte), longs, doubles and nested lists: for commands Lettuce has no
 * typed method for (PEXPIRETIME, FCALL, KEYMESH ...) and for digests that must not mangle bytes.
 */
public final class RawCommand {
    /** Codec that maps every byte to one char and back, so any value round-trips. */
    public static final StringCodec BYTES = new StringCodec(StandardCharsets.ISO_8859_1);

    private RawCommand() {
    }

    /** Sends {@code command args...} and waits for the reply; an error reply throws. */
    public static Object call(StatefulRedisConnection<String, String> connection, String command, String... args) {
        return connection.sync().dispatch(CommandKeyword.of(command), new AnyOutput(BYTES, StandardCharsets.ISO_8859_1), args(args));
    }

    /** Sends {@code command args...} without waiting (pipelined with whatever else is in flight). */
    public static RedisFuture<Object> send(StatefulRedisConnection<String, String> connection, String command, String... args) {
        return connection.async().dispatch(CommandKeyword.of(command), new AnyOutput(BYTES, StandardCharsets.ISO_8859_1), args(args));
    }

    private static CommandArgs<String, String> args(String... args) {
        CommandArgs<String, String> commandArgs = new CommandArgs<>(BYTES);
        for (String arg : args) {
            commandArgs.add(arg.getBytes(StandardCharsets.ISO_8859_1));
        }
        return commandArgs;
    }
}
