package io.keymesh.proxy.command;

import io.keymesh.storage.merge.MergeRule;

/**
 * One row of the command table: a command's (or subcommand's) facts and how keymesh handles it.
 *
 * @param name      upper-case wire name; subcommands are written "CONFIG|SET" as in Redis 7
 * @param arity     Redis arity: positive is exact, negative is a minimum (name included)
 * @param keys      key positions
 * @param kind      what the command does
 * @param handling  how keymesh serves it
 * @param merge     merge rule for WRITE rows (null otherwise)
 * @param refusal   the error text for REFUSE rows (null otherwise)
 */
public record CommandSpec(
        String name, int arity, KeySpec keys, CommandClass kind, Handling handling, MergeRule merge, String refusal) {

    public CommandSpec {
        if (name.isEmpty() || !name.equals(name.toUpperCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException("command names are upper case: " + name);
        }
        if (arity == 0) {
            throw new IllegalArgumentException(name + ": arity 0");
        }
        if (kind == CommandClass.WRITE && merge == null) {
            throw new IllegalArgumentException(name + ": WRITE row without a merge rule");
        }
        if (kind != CommandClass.WRITE && merge != null) {
            throw new IllegalArgumentException(name + ": merge rule on a " + kind + " row");
        }
        if ((handling == Handling.REFUSE) != (refusal != null)) {
            throw new IllegalArgumentException(name + ": refusal text goes with REFUSE, and only with it");
        }
    }

    /** True for a subcommand row such as "CLIENT|LIST". */
    public boolean isSubcommand() {
        return name.indexOf('|') >= 0;
    }

    /** Argument count check with Redis' arity rule; {@code argc} includes the command name. */
    public boolean arityAccepts(int argc) {
        return arity > 0 ? argc == arity : argc >= -arity;
    }
}
