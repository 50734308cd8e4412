package io.keymesh.proxy.acl;

import io.keymesh.proxy.replica.GlobPattern;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Applies rules in Redis' ACL SETUSER syntax to a user: {@code on}, {@code off}, {@code >pass},
 * {@code <pass}, {@code #hash}, {@code !hash}, {@code nopass}, {@code resetpass}, {@code ~pattern},
 * {@code %R~pattern}, {@code %W~pattern}, {@code %RW~pattern}, {@code allkeys}, {@code resetkeys},
 * {@code &pattern}, {@code allchannels}, {@code resetchannels}, {@code +cmd}, {@code -cmd},
 * {@code +cmd|sub}, {@code -cmd|sub}, {@code +@category}, {@code -@category}, {@code allcommands},
 * {@code nocommands}, {@code reset}; {@code sanitize-payload}, {@code skip-sanitize-payload} and
 * {@code clearselectors} are accepted and change nothing. Errors carry Redis 7.0's reasons.
 */
public final class AclRules {
    static final String SYNTAX = "Syntax error";
    static final String UNKNOWN = "Unknown command or category name in ACL";
    static final String KEYS_AFTER_ALL = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid "
            + "and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    static final String CHANNELS_AFTER_ALL = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not "
            + "valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
    static final String NO_SUCH_PASSWORD = "The password you are trying to remove from the user does not exist";
    static final String BAD_HASH = "The password hash must be exactly 64 characters and contain only lowercase "
            + "hexadecimal characters";
    private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

    private final AclCatalog catalog;

    public AclRules(AclCatalog catalog) {
        this.catalog = catalog;
    }

    /** A copy of {@code user} with {@code rules} applied in order; the user itself is not changed. */
    public AclUser apply(AclUser user, List<String> rules) throws AclRuleException {
        AclUser u = user.copy();
        for (String rule : rules) {
            applyOne(u, rule);
        }
        return u.freeze();
    }

    /** Splits a rule string on spaces ("on >secret ~app:* +@read"). */
    public static List<String> split(String rules) {
        String trimmed = rules.trim();
        return trimmed.isEmpty() ? List.of() : List.of(trimmed.split("\\s+"));
    }

    private void applyOne(AclUser u, String rule) throws AclRuleException {
        String word = rule.toLowerCase(Locale.ROOT);
        switch (word) {
            case "on" -> u.enabled = true;
            case "off" -> u.enabled = false;
            case "nopass" -> {
                u.nopass = true;
                u.passwords.clear();
            }
            case "resetpass" -> {
                u.nopass = false;
                u.passwords.clear();
            }
            case "allkeys" -> allKeys(u);
            case "resetkeys" -> {
                u.allKeys = false;
                u.keys.clear();
            }
            case "allchannels" -> allChannels(u);
            case "resetchannels" -> {
                u.allChannels = false;
                u.channels.clear();
            }
            case "allcommands", "+@all" -> allCommands(u, true);
            case "nocommands", "-@all" -> allCommands(u, false);
            case "reset" -> reset(u);
            case "sanitize-payload", "skip-sanitize-payload", "clearselectors" -> { }
            default -> applyPrefixed(u, rule);
        }
    }

    private void applyPrefixed(AclUser u, String rule) throws AclRuleException {
        if (rule.isEmpty()) {
            throw new AclRuleException(rule, SYNTAX);
        }
        char first = rule.charAt(0);
        String rest = rule.substring(1);
        switch (first) {
            case '>' -> {
                u.passwords.add(AclUser.hash(rest));
                u.nopass = false;
            }
            case '#' -> {
                if (!HASH.matcher(rest).matches()) {
                    throw new AclRuleException(rule, BAD_HASH);
                }
                u.passwords.add(rest);
                u.nopass = false;
            }
            case '<' -> {
                if (!u.passwords.remove(AclUser.hash(rest))) {
                    throw new AclRuleException(rule, NO_SUCH_PASSWORD);
                }
            }
            case '!' -> {
                if (!HASH.matcher(rest).matches()) {
                    throw new AclRuleException(rule, BAD_HASH);
                }
                if (!u.passwords.remove(rest)) {
                    throw new AclRuleException(rule, NO_SUCH_PASSWORD);
                }
            }
            case '~' -> keyPattern(u, rule, rest, KeySearch.READ | KeySearch.WRITE);
            case '%' -> {
                int tilde = rest.indexOf('~');
                if (tilde <= 0) {
                    throw new AclRuleException(rule, SYNTAX);
                }
                int grants = 0;
                for (char c : rest.substring(0, tilde).toCharArray()) {
                    switch (Character.toUpperCase(c)) {
                        case 'R' -> grants |= KeySearch.READ;
                        case 'W' -> grants |= KeySearch.WRITE;
                        default -> throw new AclRuleException(rule, SYNTAX);
                    }
                }
                keyPattern(u, rule, rest.substring(tilde + 1), grants);
            }
            case '&' -> {
                if (rest.equals("*")) {
                    allChannels(u);
                } else if (u.allChannels) {
                    throw new AclRuleException(rule, CHANNELS_AFTER_ALL);
                } else if (u.channels.stream().noneMatch(c -> c.pattern().equals(rest))) {
                    u.channels.add(new AclUser.ChannelPattern(rest, new GlobPattern(rest)));
                }
            }
            case '+', '-' -> command(u, rule, first == '+', rest);
            default -> throw new AclRuleException(rule, SYNTAX);
        }
    }

    private static void keyPattern(AclUser u, String rule, String pattern, int grants) throws AclRuleException {
        if (u.allKeys) {
            throw new AclRuleException(rule, KEYS_AFTER_ALL);
        }
        if (pattern.equals("*") && grants == (KeySearch.READ | KeySearch.WRITE)) {
            allKeys(u);
            return;
        }
        for (int i = 0; i < u.keys.size(); i++) {
            AclUser.KeyPattern k = u.keys.get(i);
            if (k.pattern().equals(pattern)) {
                u.keys.set(i, new AclUser.KeyPattern(pattern, k.grants() | grants, k.glob()));
                return;
            }
        }
        u.keys.add(new AclUser.KeyPattern(pattern, grants, new GlobPattern(pattern)));
    }

    private static void allKeys(AclUser u) {
        u.allKeys = true;
        u.keys.clear();
    }

    private static void allChannels(AclUser u) {
        u.allChannels = true;
        u.channels.clear();
    }

    private void allCommands(AclUser u, boolean all) {
        u.allowed.clear();
        if (all) {
            u.allowed.set(0, catalog.size());
        }
        u.baseAll = all;
        u.allCommands = all;
        u.commandRules.clear();
    }

    private void reset(AclUser u) {
        u.enabled = false;
        u.nopass = false;
        u.passwords.clear();
        u.allKeys = false;
        u.keys.clear();
        u.allChannels = false;
        u.channels.clear();
        allCommands(u, false);
    }

    private void command(AclUser u, String rule, boolean allow, String target) throws AclRuleException {
        String name = target.toLowerCase(Locale.ROOT);
        if (name.startsWith("@")) {
            int bit = AclCategory.bit(name);
            if (bit == 0 || name.indexOf('|') >= 0) {
                throw new AclRuleException(rule, UNKNOWN);
            }
            for (int i = 0; i < catalog.size(); i++) {
                if ((catalog.categories(i) & bit) != 0) {
                    u.allowed.set(i, allow);
                }
            }
            u.commandRules.add((allow ? "+" : "-") + name);
        } else {
            int ordinal = catalog.ordinal(name);
            if (ordinal < 0) {
                throw new AclRuleException(rule, UNKNOWN);
            }
            u.allowed.set(ordinal, allow);
            for (int sub : catalog.subcommands(ordinal)) {
                u.allowed.set(sub, allow);
            }
            String prefix = name + "|";
            u.commandRules.removeIf(r -> r.substring(1).equals(name) || r.substring(1).startsWith(prefix));
            u.commandRules.add((allow ? "+" : "-") + name);
        }
        if (!allow) {
            u.allCommands = false;
        }
    }
}
