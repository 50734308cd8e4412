package io.keymesh.proxy.command;

/**
 * Where a command's keys are, in Redis' COMMAND INFO convention: first and last argument index
 * (last may be negative, counted from the end) and the step between keys; {@code movable} marks
 * commands whose keys can only be found by reading other arguments (EVAL, ZUNIONSTORE, XREAD).
 */
public record KeySpec(int first, int last, int step, boolean movable) {
    public static final KeySpec NONE = new KeySpec(0, 0, 0, false);

    public KeySpec {
        if (first < 0 || step < 0 || (first == 0 && (last != 0 || step != 0) && !movable)) {
            throw new IllegalArgumentException("bad key spec " + first + "," + last + "," + step);
        }
    }

    public static KeySpec keys(int first, int last, int step) {
        return new KeySpec(first, last, step, false);
    }

    public static KeySpec movable(int first, int last, int step) {
        return new KeySpec(first, last, step, true);
    }

    public boolean hasKeys() {
        return first > 0 || movable;
    }
}
