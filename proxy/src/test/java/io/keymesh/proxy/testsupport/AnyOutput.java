package io.keymesh.proxy.testsupport;

import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.CommandOutput;

import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A Lettuce output that keeps any reply shape: strings (decoded with the given charset), longs,
 * doubles, booleans, nulls and nested lists (RESP3 maps and sets become flat lists, as in RESP2).
 * Used with {@code dispatch} for commands Lettuce has no typed method for (ZRANGE ... BYSCORE,
 * COMMAND DOCS, PEXPIRETIME, FCALL ...).
 */
public final class AnyOutput extends CommandOutput<String, String, Object> {
    private final Deque<List<Object>> stack = new ArrayDeque<>();
    private final Deque<Integer> expected = new ArrayDeque<>();
    private final Charset charset;

    /** {@code codec} is what the connection uses; bulk strings are decoded with {@code charset}. */
    public AnyOutput(StringCodec codec, Charset charset) {
        super(codec, null);
        this.charset = charset;
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
        add(bytes == null ? null : charset.decode(bytes).toString());
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
