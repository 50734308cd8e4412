package io.keymesh.proxy.acl;

import io.keymesh.proxy.config.KeymeshConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A node's users. They come from {@code keymesh.requirepass} and {@code keymesh.users} until
 * ACL SETUSER or ACL DELUSER changes them at runtime; from then on the node keeps its whole user
 * set in an ACL file in its data directory (Redis' aclfile format, one "user name rules" line each,
 * passwords as SHA-256 hashes) and reads that file instead at start.
 *
 * <p>A session holds a {@link Ref} to its user, so a change applies to its next command and a
 * deleted user's sessions can be found.
 */
public final class AclUsers {
    private static final Logger log = LoggerFactory.getLogger(AclUsers.class);
    /** The ACL file's name in the data directory. */
    public static final String FILE_NAME = "users.acl";
    /** The rules of a user that has none configured: every command, key and channel. */
    static final List<String> EVERYTHING = List.of("allkeys", "allchannels", "allcommands");

    /** The current version of one user; {@code user} is null once the user is deleted. */
    public static final class Ref {
        private volatile AclUser user;

        Ref(AclUser user) {
            this.user = user;
        }

        /** The user as it is now, or null once deleted. */
        public AclUser user() {
            return user;
        }
    }

    private final AclRules rules;
    private final AclChecker checker;
    private final AclLog aclLog = new AclLog();
    private final Path file;
    private final Map<String, Ref> users = new ConcurrentHashMap<>();

    private AclUsers(AclCatalog catalog, Path file) {
        this.rules = new AclRules(catalog);
        this.checker = new AclChecker(catalog);
        this.file = file;
    }

    /**
     * The users of a node: from {@code aclFile} when it exists, else from the configuration.
     *
     * @throws IllegalArgumentException when a rule (configured or in the file) is not valid
     */
    public static AclUsers load(KeymeshConfig config, AclCatalog catalog, Path aclFile) {
        AclUsers u = new AclUsers(catalog, aclFile);
        if (aclFile != null && Files.exists(aclFile)) {
            u.readFile(aclFile);
            for (String name : config.users().keySet()) {
                if (!u.users.containsKey(name)) {
                    log.warn("user {} of keymesh.users is not in {} (deleted with ACL DELUSER?): the file wins",
                            name, aclFile);
                }
            }
            log.info("{} users read from {} (keymesh.users and requirepass are not read while it exists)",
                    u.users.size(), aclFile);
        } else {
            u.fromConfig(config);
        }
        return u;
    }

    /** Only the default user, nopass and unrestricted, kept nowhere (a node without auth; tests). */
    public static AclUsers openDefault(AclCatalog catalog) {
        AclUsers u = new AclUsers(catalog, null);
        List<String> rules = new ArrayList<>(List.of("on", "nopass"));
        rules.addAll(EVERYTHING);
        u.put("default", rules, "default user");
        return u;
    }

    private void fromConfig(KeymeshConfig config) {
        KeymeshConfig.User configuredDefault = config.users().get("default");
        if (configuredDefault == null) {
            List<String> base = new ArrayList<>(List.of("on"));
            if (!config.requirepass().isEmpty()) {
                base.add(">" + config.requirepass());
            } else if (config.users().isEmpty()) {
                base.add("nopass");
            } else {
                base.set(0, "off");                  // named users only: nobody logs in as default
            }
            base.addAll(EVERYTHING);
            put("default", base, "keymesh.requirepass");
        }
        for (Map.Entry<String, KeymeshConfig.User> e : config.users().entrySet()) {
            List<String> r = new ArrayList<>(List.of("on"));
            if (!e.getValue().password().isEmpty()) {
                r.add(">" + e.getValue().password());
            }
            List<String> configured = AclRules.split(e.getValue().rules());
            r.addAll(configured.isEmpty() ? EVERYTHING : configured);
            put(e.getKey(), r, "keymesh.users (user " + e.getKey() + ")");
        }
    }

    private void put(String name, List<String> ruleList, String where) {
        try {
            users.put(name, new Ref(rules.apply(AclUser.created(name), ruleList)));
        } catch (AclRuleException e) {
            throw new IllegalArgumentException(where + ": rule '" + e.rule() + "': " + e.getMessage(), e);
        }
    }

    private void readFile(Path path) {
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the ACL file " + path, e);
        }
        for (int i = 0; i < lines.size(); i++) {
            List<String> words = AclRules.split(lines.get(i));
            if (words.isEmpty()) {
                continue;
            }
            String where = path + ":" + (i + 1);
            if (words.size() < 2 || !words.get(0).equals("user")) {
                throw new IllegalArgumentException(where + ": a line must read 'user <name> <rules...>'");
            }
            if (users.containsKey(words.get(1))) {
                throw new IllegalArgumentException(where + ": user " + words.get(1) + " is defined twice");
            }
            put(words.get(1), words.subList(2, words.size()), where);
        }
        if (!users.containsKey("default")) {
            put("default", List.of("off"), path.toString());
        }
    }

    public AclChecker checker() {
        return checker;
    }

    public AclLog log() {
        return aclLog;
    }

    /** The user named {@code name}, or null. */
    public Ref ref(String name) {
        return users.get(name);
    }

    /** The default user (always exists). */
    public Ref defaultUser() {
        return users.get("default");
    }

    /** True when a new connection is logged in as the default user without AUTH (it is on and nopass). */
    public boolean defaultLogsInAlone() {
        AclUser d = defaultUser().user();
        return d != null && d.enabled() && d.nopass();
    }

    /** The user that {@code password} opens, or null (unknown user, disabled, wrong password). */
    public Ref authenticate(String name, byte[] password) {
        Ref ref = users.get(name);
        AclUser u = ref == null ? null : ref.user();
        return u != null && u.accepts(password) ? ref : null;
    }

    /** User names, sorted as ACL USERS lists them. */
    public List<String> names() {
        return new ArrayList<>(new TreeMap<>(users).keySet());
    }

    /** ACL LIST's lines, sorted by user name. */
    public List<String> list() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Ref> e : new TreeMap<>(users).entrySet()) {
            AclUser u = e.getValue().user();
            if (u != null) {
                out.add("user " + e.getKey() + " " + u.describe());
            }
        }
        return out;
    }

    /** A user made from {@code ruleList} applied to {@code name}'s current version (or a new user), not stored. */
    public AclUser preview(String name, List<String> ruleList) throws AclRuleException {
        Ref ref = users.get(name);
        AclUser base = ref == null || ref.user() == null ? AclUser.created(name) : ref.user();
        return rules.apply(base, ruleList);
    }

    /** ACL SETUSER: applies the rules (all or none) and writes the ACL file; nothing changes when the file cannot be written. */
    public synchronized void setUser(String name, List<String> ruleList) throws AclRuleException, IOException {
        AclUser changed = preview(name, ruleList);
        Ref ref = users.get(name);
        AclUser before = ref == null ? null : ref.user;
        if (ref == null) {
            users.put(name, new Ref(changed));
        } else {
            ref.user = changed;
        }
        try {
            save();
        } catch (IOException e) {
            if (ref == null) {
                users.remove(name);
            } else {
                ref.user = before;
            }
            throw e;
        }
    }

    /**
     * ACL DELUSER of one user; false when there is no such user, and nothing changes when the file
     * cannot be written. The default user cannot be deleted (callers check).
     */
    public synchronized boolean delete(String name) throws IOException {
        Ref ref = users.remove(name);
        if (ref == null) {
            return false;
        }
        try {
            save();
        } catch (IOException e) {
            users.put(name, ref);
            throw e;
        }
        ref.user = null;
        return true;
    }

    private void save() throws IOException {
        if (file == null) {
            return;
        }
        StringBuilder text = new StringBuilder();
        for (String line : list()) {
            text.append(line).append('\n');
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
