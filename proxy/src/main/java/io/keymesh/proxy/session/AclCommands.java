package io.keymesh.proxy.session;

import io.keymesh.proxy.acl.AclCatalog;
import io.keymesh.proxy.acl.AclCategory;
import io.keymesh.proxy.acl.AclChecker;
import io.keymesh.proxy.acl.AclLog;
import io.keymesh.proxy.acl.AclRuleException;
import io.keymesh.proxy.acl.AclUser;
import io.keymesh.proxy.acl.AclUsers;
import io.keymesh.proxy.command.CommandSpec;
import io.keymesh.proxy.resp.Replies;
import io.keymesh.proxy.resp.RespRequest;
import io.keymesh.proxy.server.NodeContext;
import io.netty.buffer.ByteBufAllocator;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The ACL as clients see it: the check every command passes before it reaches the backend
 * ({@link #refusal}), and the ACL subcommands keymesh answers from its own users (CAT, USERS, LIST,
 * GETUSER, SETUSER, DELUSER, DRYRUN, LOG) with Redis 7.0's replies and error texts.
 */
public final class AclCommands {
    private final NodeContext node;
    private final AclUsers users;
    private final AclChecker checker;
    private final AclCatalog catalog;

    AclCommands(NodeContext node) {
        this.node = node;
        this.users = node.users();
        this.checker = users.checker();
        this.catalog = checker.catalog();
    }

    /**
     * The -NOPERM error (without the dash) when the session's user may not run {@code r}, after
     * logging the refusal in the ACL LOG; null when it may. AUTH and HELLO are never refused; a
     * session whose user was deleted gets NOAUTH.
     */
    public String refusal(ClientSession s, CommandSpec spec, RespRequest r) {
        AclUser user = s.aclUser();
        if (user != null && user.unrestricted()) {
            return null;
        }
        if (user == null) {
            return "NOAUTH Authentication required.";
        }
        if (spec != null && (spec.name().equals("AUTH") || spec.name().equals("HELLO"))) {
            return null;
        }
        int ordinal = spec == null ? -1 : catalog.ordinal(spec);
        AclChecker.Denial denial = checker.check(user, ordinal, r, 0);
        if (denial == null) {
            return null;
        }
        String name = ordinal < 0 ? r.argString(0).toLowerCase(Locale.ROOT) : catalog.name(ordinal);
        String object = denial.argument() < 0 ? name : r.argString(denial.argument());
        users.log().add(denial.reason().logName(), s.inMulti() ? "multi" : "toplevel", object, user.name(),
                ClientLines.line(s, null).strip(), s.time().wallMillis());
        return denial.error(name);
    }

    /**
     * The -NOPERM error for a KEYMESH link command from a session logged in as a named user without
     * +@all (link commands read and write every key), or null. Links themselves do not log in as
     * users, so sessions of the default user go on to the link's own authentication.
     */
    public String keymeshRefusal(ClientSession s) {
        AclUser user = s.aclUser();
        if (s.user().equals("default") || user != null && user.allCommands()) {
            return null;
        }
        users.log().add("command", s.inMulti() ? "multi" : "toplevel", "keymesh", s.user(), ClientLines.line(s, null).strip(),
                s.time().wallMillis());
        return "NOPERM this user has no permissions to run the 'keymesh' command";
    }

    /** Answers an ACL subcommand keymesh serves itself; the caller releases the request. */
    void handle(ClientSession s, CommandSpec spec, RespRequest r) {
        switch (spec.name()) {
            case "ACL|CAT" -> cat(s, r);
            case "ACL|USERS" -> strings(s, users.names());
            case "ACL|LIST" -> strings(s, users.list());
            case "ACL|GETUSER" -> getUser(s, r.argString(2));
            case "ACL|SETUSER" -> setUser(s, r);
            case "ACL|DELUSER" -> delUser(s, r);
            case "ACL|DRYRUN" -> dryRun(s, r);
            case "ACL|LOG" -> log(s, r);
            default -> s.reply(Replies.error(alloc(s), "ERR keymesh has no ACL handler for " + spec.name()));
        }
    }

    private static ByteBufAllocator alloc(ClientSession s) {
        return s.channel().alloc();
    }

    private static void strings(ClientSession s, List<String> items) {
        Replies.Writer w = new Replies.Writer(alloc(s), s.protocol()).array(items.size());
        items.forEach(w::bulk);
        s.reply(w.done());
    }

    private void cat(ClientSession s, RespRequest r) {
        if (r.argc() > 3) {
            s.reply(LocalCommands.arityError(alloc(s), node.commands().get("ACL|CAT")));
        } else if (r.argc() == 2) {
            strings(s, AclCategory.NAMES);
        } else {
            int bit = AclCategory.bit(r.argString(2));
            if (bit == 0 || r.argString(2).startsWith("@")) {
                s.reply(Replies.error(alloc(s), "ERR Unknown category '" + r.argString(2) + "'"));
            } else {
                strings(s, catalog.commandsIn(bit));
            }
        }
    }

    private void getUser(ClientSession s, String name) {
        AclUsers.Ref ref = users.ref(name);
        AclUser u = ref == null ? null : ref.user();
        if (u == null) {
            s.reply(Replies.nullReply(s.protocol()));
            return;
        }
        List<String> flags = new ArrayList<>();
        flags.add(u.enabled() ? "on" : "off");
        if (u.nopass()) {
            flags.add("nopass");
        }
        Replies.Writer w = new Replies.Writer(alloc(s), s.protocol()).map(6);
        w.bulk("flags").array(flags.size());
        flags.forEach(w::bulk);
        w.bulk("passwords").array(u.passwordHashes().size());
        u.passwordHashes().forEach(w::bulk);
        w.bulk("commands").bulk(u.describeCommands());
        w.bulk("keys").bulk(u.describeKeys());
        w.bulk("channels").bulk(u.describeChannels());
        w.bulk("selectors").array(0);
        s.reply(w.done());
    }

    /** The reason runtime user changes are refused on this node, or null when they are allowed. */
    private String changesRefused(String subcommand) {
        if (node.replicating()) {
            return "ERR ACL " + subcommand + " is not allowed on a node that replicates: the users of a mesh and its "
                    + "replicas come from keymesh.users, the same on every node";
        }
        return null;
    }

    private void setUser(ClientSession s, RespRequest r) {
        String refused = changesRefused("SETUSER");
        if (refused != null) {
            s.reply(Replies.error(alloc(s), refused));
            return;
        }
        String name = r.argString(2);
        if (name.indexOf(' ') >= 0 || name.indexOf('\0') >= 0) {
            s.reply(Replies.error(alloc(s), "ERR Usernames can't contain spaces or null characters"));
            return;
        }
        List<String> rules = new ArrayList<>();
        for (int i = 3; i < r.argc(); i++) {
            rules.add(r.argString(i));
        }
        try {
            users.setUser(name, rules);
            s.reply(Replies.of(Replies.OK));
        } catch (AclRuleException e) {
            s.reply(Replies.error(alloc(s), e.setUserError()));
        } catch (IOException e) {
            s.reply(Replies.error(alloc(s), "ERR keymesh could not write its ACL file: " + e.getMessage()));
        }
    }

    private void delUser(ClientSession s, RespRequest r) {
        String refused = changesRefused("DELUSER");
        if (refused != null) {
            s.reply(Replies.error(alloc(s), refused));
            return;
        }
        for (int i = 2; i < r.argc(); i++) {
            if (r.argString(i).equals("default")) {
                s.reply(Replies.error(alloc(s), "ERR The 'default' user cannot be removed"));
                return;
            }
        }
        long deleted = 0;
        try {
            for (int i = 2; i < r.argc(); i++) {
                String name = r.argString(i);
                if (users.delete(name)) {
                    deleted++;
                    for (ClientSession c : node.sessions().all()) {
                        if (c != s && name.equals(c.user()) && c.authenticated()) {
                            c.channel().eventLoop().execute(c::closeNow);
                        }
                    }
                }
            }
        } catch (IOException e) {
            s.reply(Replies.error(alloc(s), "ERR keymesh could not write its ACL file: " + e.getMessage()));
            return;
        }
        s.reply(Replies.integer(alloc(s), deleted));
        if (s.aclUser() == null) {
            s.closeAfterReplies();                       // Redis closes the connection of a user that deleted itself
        }
    }

    private void dryRun(ClientSession s, RespRequest r) {
        String name = r.argString(2);
        AclUsers.Ref ref = users.ref(name);
        AclUser u = ref == null ? null : ref.user();
        if (u == null) {
            s.reply(Replies.error(alloc(s), "ERR User '" + name + "' not found"));
            return;
        }
        CommandSpec spec = node.commands().lookup(r.buffer(), r.argIndex(3), r.argLength(3));
        if (spec != null && r.argc() > 4 && node.commands().hasSubcommands(spec)) {
            CommandSpec sub = node.commands().lookupSubcommand(spec, r.buffer(), r.argIndex(4), r.argLength(4));
            spec = sub != null ? sub : spec;
        }
        if (spec == null) {
            s.reply(Replies.error(alloc(s), "ERR Command '" + r.argString(3) + "' not found"));
            return;
        }
        if (!spec.arityAccepts(r.argc() - 3)) {
            s.reply(LocalCommands.arityError(alloc(s), spec));
            return;
        }
        int ordinal = catalog.ordinal(spec);
        AclChecker.Denial denial = checker.check(u, ordinal, r, 3);
        if (denial == null) {
            s.reply(Replies.of(Replies.OK));
        } else {
            s.reply(Replies.bulk(alloc(s), denial.dryRun(catalog.name(ordinal), r, 3)));
        }
    }

    private void log(ClientSession s, RespRequest r) {
        int count = 10;
        if (r.argc() == 3) {
            if (r.argEquals(2, "RESET")) {
                users.log().reset();
                s.reply(Replies.of(Replies.OK));
                return;
            }
            long n = r.argLong(2);
            if (n < 0 || n == Long.MIN_VALUE) {
                s.reply(Replies.error(alloc(s), "ERR value is out of range, must be positive"));
                return;
            }
            count = (int) Math.min(n, AclLog.MAX_ENTRIES);
        } else if (r.argc() > 3) {
            s.reply(Replies.error(alloc(s), "ERR syntax error"));
            return;
        }
        List<AclLog.Entry> entries = users.log().latest(count);
        long now = node.clock().time().wallMillis();
        Replies.Writer w = new Replies.Writer(alloc(s), s.protocol()).array(entries.size());
        for (AclLog.Entry e : entries) {
            w.map(7)
                    .bulk("count").integer(e.count())
                    .bulk("reason").bulk(e.reason)
                    .bulk("context").bulk(e.context)
                    .bulk("object").bulk(e.object)
                    .bulk("username").bulk(e.username)
                    .bulk("age-seconds").bulk(Double.toString((now - e.createdMillis()) / 1000.0))
                    .bulk("client-info").bulk(e.clientInfo());
        }
        s.reply(w.done());
    }
}
