package io.keymesh.proxy.mesh;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.CommandOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.ProtocolKeyword;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

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
        return connection.sync().dispatch(keyword(command), new Output(), args(args));
    }

    /** Sends {@code command args...} without waiting (pipelined with whatever else is in flight). */
    public static RedisFuture<Object> send(StatefulRedisConnection<String, String> connection, String command, String... args) {
        return connection.async().dispatch(keyword(command), new Output(), args(args));
    }

    private static CommandArgs<String, String> args(String... args) {
        CommandArgs<String, String> commandArgs = new CommandArgs<>(BYTES);
        for (String arg : args) {
            commandArgs.add(arg.getBytes(StandardCharsets.ISO_8859_1));
        }
        return commandArgs;
    }

    private static ProtocolKeyword keyword(String name) {
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

    /** Collects a reply of any shape. */
    private static final class Output extends CommandOutput<String, String, Object> {
        private final Deque<List<Object>> stack = new ArrayDeque<>();
        private final Deque<Integer> expected = new ArrayDeque<>();

        Output() {
            super(BYTES, null);
        }

        private void add(Object value) {
            if (stack.isEmpty()) {
                output = value;
                return;
            }
            stack.peek().add(value);
            closeFinished();
        }

        private void closeFinished() {
            while (!stack.isEmpty() && stack.peek().size() == expected.peek()) {
                List<Object> done = stack.pop();
                expected.pop();
                if (stack.isEmpty()) {
                    output = done;
                } else {
                    stack.peek().add(done);
                }
            }
        }

        private void open(int count) {
            if (count < 0) {
                add(null);
                return;
            }
            stack.push(new ArrayList<>(count));
            expected.push(count);
            if (count == 0) {
                closeFinished();
            }
        }

        @Override
        public void set(ByteBuffer bytes) {
            add(bytes == null ? null : StandardCharsets.ISO_8859_1.decode(bytes).toString());
        }

        @Override
        public void setSingle(ByteBuffer bytes) {
            set(bytes);
        }

        @Override
        public void setBigNumber(ByteBuffer bytes) {
            set(bytes);
        }

        @Override
        public void set(long integer) {
            add(integer);
        }

        @Override
        public void set(double number) {
            add(number);
        }

        @Override
        public void set(boolean value) {
            add(value);
        }

        @Override
        public void multi(int count) {
            open(count);
        }

        @Override
        public void multiArray(int count) {
            open(count);
        }

        @Override
        public void multiSet(int count) {
            open(count);
        }

        @Override
        public void multiMap(int count) {
            open(count < 0 ? count : count * 2);
        }

        @Override
        public void multiPush(int count) {
            open(count);
        }
    }
}
