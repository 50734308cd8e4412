package io.keymesh.proxy.acl;

import io.keymesh.proxy.replica.GlobPattern;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One user: whether it may log in, its password hashes (SHA-256, as Redis keeps them), the
 * commands it may run (a bit set over {@link AclCatalog} ordinals plus the rules that built it,
 * for ACL LIST), and the key and channel patterns it may touch. {@link AclRules} changes a copy;
 * a published user is never changed, so a session reads it without locking.
 */
public final class AclUser {
    /** A key pattern with the permissions it grants ({@link KeySearch#READ}, {@link KeySearch#WRITE}). */
    record KeyPattern(String pattern, int grants, GlobPattern glob) {
        String describe() {
            return switch (grants) {
                case KeySearch.READ -> "%R~" + pattern;
                case KeySearch.WRITE -> "%W~" + pattern;
                default -> "~" + pattern;
            };
        }
    }

    /** A channel pattern. */
    record ChannelPattern(String pattern, GlobPattern glob) {
    }

    final String name;
    boolean enabled;
    boolean nopass;
    final Set<String> passwords = new LinkedHashSet<>();     // hex SHA-256
    final BitSet allowed = new BitSet();
    boolean baseAll;                                         // the rules start from +@all (else -@all)
    boolean allCommands;                                     // +@all and no '-' rule since: unknown commands too
    final List<String> commandRules = new ArrayList<>();     // after the "+@all"/"-@all" base
    boolean allKeys;
    final List<KeyPattern> keys = new ArrayList<>();
    boolean allChannels;
    final List<ChannelPattern> channels = new ArrayList<>();
    private boolean unrestricted;                            // cached by freeze()

    AclUser(String name) {
        this.name = name;
    }

    /** A new user as ACL SETUSER creates it: off, no password, no command, key or channel. */
    public static AclUser created(String name) {
        return new AclUser(name).freeze();
    }

    public String name() {
        return name;
    }

    public boolean enabled() {
        return enabled;
    }

    public boolean nopass() {
        return nopass;
    }

    /** True when the user may run every command, those keymesh does not know too (+@all, no '-' rule since). */
    public boolean allCommands() {
        return allCommands;
    }

    /** True when the user may run every command on every key and channel: no check is needed. */
    public boolean unrestricted() {
        return unrestricted;
    }

    /** True when {@code password} opens this user (it is on, and nopass or the password's hash is known). */
    public boolean accepts(byte[] password) {
        if (!enabled) {
            return false;
        }
        if (nopass) {
            return true;
        }
        byte[] hash = HexFormat.of().formatHex(sha256(password)).getBytes(StandardCharsets.US_ASCII);
        boolean found = false;
        for (String known : passwords) {
            found |= MessageDigest.isEqual(known.getBytes(StandardCharsets.US_ASCII), hash);
        }
        return found;
    }

    static String hash(String password) {
        return HexFormat.of().formatHex(sha256(password.getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    AclUser copy() {
        AclUser c = new AclUser(name);
        c.enabled = enabled;
        c.nopass = nopass;
        c.passwords.addAll(passwords);
        c.allowed.or(allowed);
        c.baseAll = baseAll;
        c.allCommands = allCommands;
        c.commandRules.addAll(commandRules);
        c.allKeys = allKeys;
        c.keys.addAll(keys);
        c.allChannels = allChannels;
        c.channels.addAll(channels);
        return c;
    }

    AclUser freeze() {
        unrestricted = allCommands && allKeys && allChannels;
        return this;
    }

    /** True when ordinal {@code command} may run. */
    boolean mayRun(int command) {
        return allowed.get(command);
    }

    /** The commands part of the rules, as ACL GETUSER shows it ("+@all -@dangerous", "-@all +get"). */
    public String describeCommands() {
        StringBuilder out = new StringBuilder(baseAll ? "+@all" : "-@all");
        for (String rule : commandRules) {
            out.append(' ').append(rule);
        }
        return out.toString();
    }

    /** The keys part ("~*", "%R~app:* ~tmp:*", "" for none). */
    public String describeKeys() {
        if (allKeys) {
            return "~*";
        }
        List<String> out = new ArrayList<>();
        for (KeyPattern k : keys) {
            out.add(k.describe());
        }
        return String.join(" ", out);
    }

    /** The channels part ("&*", "&news:*", "" for none). */
    public String describeChannels() {
        if (allChannels) {
            return "&*";
        }
        List<String> out = new ArrayList<>();
        for (ChannelPattern c : channels) {
            out.add("&" + c.pattern());
        }
        return String.join(" ", out);
    }

    /** The hex SHA-256 password hashes. */
    public List<String> passwordHashes() {
        return List.copyOf(passwords);
    }

    /**
     * The whole user as one rule string that rebuilds it ({@code ACL LIST} without the leading
     * "user name", and a line of the ACL file).
     */
    public String describe() {
        StringBuilder out = new StringBuilder(enabled ? "on" : "off");
        if (nopass) {
            out.append(" nopass");
        }
        for (String p : passwords) {
            out.append(" #").append(p);
        }
        String k = describeKeys();
        if (!k.isEmpty()) {
            out.append(' ').append(k);
        }
        String ch = describeChannels();
        out.append(ch.isEmpty() ? " resetchannels" : " " + ch);
        out.append(' ').append(describeCommands());
        return out.toString();
    }
}
