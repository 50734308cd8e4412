package io.keymesh.proxy.acl;

/** A rule that cannot be applied; the message is Redis' reason ("Syntax error", "Unknown command or category name in ACL" ...). */
public final class AclRuleException extends Exception {
    private final String rule;

    AclRuleException(String rule, String reason) {
        super(reason);
        this.rule = rule;
    }

    /** The rule as it was given. */
    public String rule() {
        return rule;
    }

    /** Redis' ACL SETUSER error text without the leading dash. */
    public String setUserError() {
        return "ERR Error in ACL SETUSER modifier '" + rule + "': " + getMessage();
    }
}
