package io.keymesh.proxy.session;

import io.keymesh.proxy.acl.AclUsers;
import io.keymesh.proxy.command.CommandSpec;
import io.keymesh.proxy.config.KeymeshConfig;
import io.keymesh.proxy.resp.Replies;
import io.keymesh.proxy.resp.RespRequest;
import io.keymesh.proxy.server.NodeContext;
import io.keymesh.storage.conn.RespCommand;
import io.keymesh.storage.conn.BackendLink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The commands keymesh answers itself because they describe the client's connection to keymesh,
 * not the backend's: AUTH, HELLO, SELECT, QUIT, RESET, INFO, ACL WHOAMI, MONITOR, LATENCY HISTOGRAM and CLIENT ID,
 * SETNAME, GETNAME, INFO, LIST, KILL, NO-EVICT, REPLY, PAUSE, UNPAUSE, UNBLOCK. Replies follow
 * Redis 7.0's formats and error texts.
 */
public final class LocalCommands {
    /** Sends a request to the backend on the session's current link with a reply transform. */
    public interface Forwarder {
        void forward(ClientSession session, ByteBuf request, Function<ByteBuf, ByteBuf> transform);
    }

    private final NodeContext node;
    private final InfoComposer info;
    private final Forwarder forwarder;
    private final AclCommands acl;

    /** The ACL check and the ACL subcommands keymesh answers. */
    public AclCommands acl() {
        return acl;
    }

    public LocalCommands(NodeContext node, Forwarder forwarder) {
        this.node = node;
        this.info = new InfoComposer(node);
        this.forwarder = forwarder;
        this.acl = new AclCommands(node);
    }

    /** Answers {@code request}; releases it. */
    public void handle(ClientSession s, CommandSpec spec, RespRequest request) {
        try {
            if (!spec.arityAccepts(request.argc())) {
                s.reply(arityError(s.channel().alloc(), spec));
                return;
            }
            switch (spec.name()) {
                case "AUTH" -> auth(s, request);
                case "HELLO" -> hello(s, request);
                case "SELECT" -> select(s, request);
                case "QUIT" -> {
                    s.reply(Replies.of(Replies.OK));
                    s.closeAfterReplies();
                }
                case "RESET" -> reset(s);
                case "INFO" -> info(s, request);
                case "ROLE" -> s.reply(RoleReply.of(node, alloc(s), s.protocol()));
                case "ACL|WHOAMI" -> s.reply(Replies.bulk(alloc(s), s.user()));
                case "ACL|CAT", "ACL|DELUSER", "ACL|DRYRUN", "ACL|GETUSER", "ACL|LIST", "ACL|LOG", "ACL|SETUSER",
                     "ACL|USERS" -> acl.handle(s, spec, request);
                case "CLIENT|ID" -> s.reply(Replies.integer(alloc(s), s.id()));
                case "CLIENT|SETNAME" -> setName(s, request);
                case "CLIENT|GETNAME" -> s.reply(s.name().isEmpty() ? Replies.nullReply(s.protocol()) : Replies.bulk(alloc(s), s.name()));
                case "CLIENT|INFO" -> clientLines(s, List.of(s));
                case "CLIENT|LIST" -> clientList(s, request);
                case "CLIENT|KILL" -> clientKill(s, request);
                case "CLIENT|NO-EVICT" -> onOff(s, request, 2);
                case "CLIENT|REPLY" -> clientReply(s, request);
                case "CLIENT|PAUSE" -> clientPause(s, request);
                case "CLIENT|UNPAUSE" -> {
                    node.sessions().pause().unpause();
                    s.reply(Replies.of(Replies.OK));
                }
                case "CLIENT|UNBLOCK" -> clientUnblock(s, request);
                case "MONITOR" -> monitor(s);
                case "LATENCY|HISTOGRAM" -> latencyHistogram(s, request);
                case "CLIENT" -> s.reply(Replies.error(alloc(s), "ERR unknown subcommand '" + request.argString(1)
                        + "'. Try CLIENT HELP."));
                default -> s.reply(Replies.error(alloc(s), "ERR keymesh has no local handler for " + spec.name()));
            }
        } finally {
            request.release();
        }
    }

    /** Redis' arity error: "wrong number of arguments for 'get' command" (subcommands as 'client|kill'). */
    public static ByteBuf arityError(ByteBufAllocator alloc, CommandSpec spec) {
        return Replies.error(alloc, "ERR wrong number of arguments for '" + spec.name().toLowerCase(Locale.ROOT) + "' command");
    }

    private static ByteBufAllocator alloc(ClientSession s) {
        return s.channel().alloc();
    }

    // ---- authentication ----------------------------------------------------------------------

    private void auth(ClientSession s, RespRequest r) {
        if (r.argc() > 3) {
            s.reply(Replies.error(alloc(s), "ERR syntax error"));
            return;
        }
        if (r.argc() == 2 && node.users().defaultLogsInAlone()) {
            s.reply(Replies.error(alloc(s), "ERR AUTH <password> called without any password configured for the default user. "
                    + "Are you sure your configuration is correct?"));
            return;
        }
        String user = r.argc() == 3 ? r.argString(1) : "default";
        AclUsers.Ref ref = checkPassword(s, user, r.argBytes(r.argc() - 1));
        if (ref != null) {
            s.authenticated(ref);
            authenticatedHook.accept(s);
            s.reply(Replies.of(Replies.OK));
        } else {
            s.reply(Replies.of(Replies.WRONGPASS));
        }
    }

    private java.util.function.Consumer<ClientSession> authenticatedHook = s -> { };

    /** Called after a session authenticates (lifts the decoder's unauthenticated limits). */
    public void onAuthenticated(java.util.function.Consumer<ClientSession> hook) {
        this.authenticatedHook = hook;
    }

    /** The user {@code password} opens, or null after counting and logging the failure (ACL LOG reason auth). */
    private AclUsers.Ref checkPassword(ClientSession s, String user, byte[] password) {
        AclUsers.Ref ref = node.users().authenticate(user, password);
        if (ref == null) {
            node.sessions().authFailures().increment();
            node.users().log().add("auth", s.inMulti() ? "multi" : "toplevel", "AUTH", user,
                    ClientLines.line(s, null).strip(), s.time().wallMillis());
        }
        return ref;
    }

    private void hello(ClientSession s, RespRequest r) {
        int protocol = s.protocol();
        int i = 1;
        if (r.argc() > 1) {
            long requested = r.argLong(1);
            if (requested == Long.MIN_VALUE) {
                s.reply(Replies.error(alloc(s), "ERR Protocol version is not an integer or out of range"));
                return;
            }
            if (requested != 2 && requested != 3) {
                s.reply(Replies.error(alloc(s), "NOPROTO unsupported protocol version"));
                return;
            }
            protocol = (int) requested;
            i = 2;
        }
        String setName = null;
        boolean authOk = s.authenticated();
        AclUsers.Ref user = null;
        for (; i < r.argc(); i++) {
            boolean more = i + 1 < r.argc();
            if (r.argEquals(i, "AUTH") && i + 2 < r.argc()) {
                user = checkPassword(s, r.argString(i + 1), r.argBytes(i + 2));
                if (user == null) {
                    s.reply(Replies.of(Replies.WRONGPASS));
                    return;
                }
                authOk = true;
                i += 2;
            } else if (r.argEquals(i, "SETNAME") && more) {
                setName = r.argString(i + 1);
                if (!validName(setName)) {
                    s.reply(Replies.error(alloc(s), "ERR Client names cannot contain spaces, newlines or special characters."));
                    return;
                }
                i++;
            } else {
                s.reply(Replies.error(alloc(s), "ERR Syntax error in HELLO option '" + r.argString(i) + "'"));
                return;
            }
        }
        if (!authOk) {
            s.reply(Replies.error(alloc(s), "NOAUTH HELLO must be called with the client already authenticated, "
                    + "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client "
                    + "and select the RESP protocol version at the same time"));
            return;
        }
        if (user != null) {
            s.authenticated(user);
            authenticatedHook.accept(s);
        }
        if (setName != null) {
            s.name(setName);
        }
        int newProtocol = protocol;
        BackendLink own = s.link();
        if (own != null && newProtocol != s.protocol()) {
            // the session's own connection must speak the new protocol too; its HELLO reply is replaced by ours
            s.protocol(newProtocol);
            forwarder.forward(s, RespCommand.encode("HELLO", Integer.toString(newProtocol)), frame -> helloReply(s));
            return;
        }
        s.protocol(newProtocol);
        s.reply(helloReply(s));
    }

    private ByteBuf helloReply(ClientSession s) {
        return new Replies.Writer(alloc(s), s.protocol()).map(7)
                .bulk("server").bulk("redis")
                .bulk("version").bulk(node.backend().version())
                .bulk("proto").integer(s.protocol())
                .bulk("id").integer(s.id())
                .bulk("mode").bulk("standalone")
                .bulk("role").bulk(node.replica() != null ? "replica" : "master")
                .bulk("modules").array(0)
                .done();
    }

    // ---- connection state -------------------------------------------------------------------

    private void select(ClientSession s, RespRequest r) {
        long db = r.argLong(1);
        if (s.inMulti() && s.link() != null) {
            // Redis queues SELECT inside MULTI and checks it when EXEC runs: leave both to the backend;
            // the session's db follows once EXEC has run (see CommandDispatcher)
            if (db >= 0 && db < node.backend().databases()) {
                s.dbAfterExec((int) db);
            }
            forwarder.forward(s, RespCommand.encode("SELECT", r.argString(1)), null);
            return;
        }
        if (db == Long.MIN_VALUE) {
            s.reply(Replies.error(alloc(s), "ERR value is not an integer or out of range"));
            return;
        }
        if (db > Integer.MAX_VALUE || db < Integer.MIN_VALUE) {
            s.reply(Replies.error(alloc(s), "ERR value is out of range, value must between "
                    + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE));
            return;
        }
        if (db < 0 || db >= node.backend().databases()) {
            s.reply(Replies.error(alloc(s), "ERR DB index is out of range"));
            return;
        }
        s.db((int) db);
        if (s.link() != null) {
            // the session's own connection switches too; Redis' reply (OK, or an error inside MULTI) is passed on
            forwarder.forward(s, RespCommand.encode("SELECT", Long.toString(db)), null);
        } else {
            s.reply(Replies.of(Replies.OK));
        }
    }

    private void reset(ClientSession s) {
        resetState(s);
        if (s.link() != null) {
            // Redis resets the session's own connection (MULTI, WATCH, subscriptions, tracking, db, protocol)
            forwarder.forward(s, RespCommand.encode("RESET"), null);
        } else {
            s.reply(Replies.of(Replies.RESET));
        }
    }

    /**
     * The connection state RESET clears on keymesh's side. A RESP2 subscriber's RESET is passed
     * through as is (its reply is piped); the dispatcher calls this for it.
     */
    public void resetState(ClientSession s) {
        s.name("");
        s.db(0);
        s.protocol(2);
        s.replies(true, false);
        s.deauthenticate();                       // as Redis: back to the default user, logged in if it needs no password
        if (node.users().defaultLogsInAlone()) {
            s.authenticated(node.users().defaultUser());
        }
        s.inMulti(false);
        s.dbAfterExec(-1);
        s.subscribed(false);
        node.sessions().monitors().remove(s);
    }

    private void setName(ClientSession s, RespRequest r) {
        String name = r.argString(2);
        if (!validName(name)) {
            s.reply(Replies.error(alloc(s), "ERR Client names cannot contain spaces, newlines or special characters."));
            return;
        }
        s.name(name);
        s.reply(Replies.of(Replies.OK));
    }

    private static boolean validName(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < '!' || c > '~') {
                return false;
            }
        }
        return true;
    }

    private void onOff(ClientSession s, RespRequest r, int at) {
        if (r.argEquals(at, "ON") || r.argEquals(at, "OFF")) {
            s.reply(Replies.of(Replies.OK));
        } else {
            s.reply(Replies.error(alloc(s), "ERR syntax error"));
        }
    }

    private void clientReply(ClientSession s, RespRequest r) {
        if (r.argEquals(2, "ON")) {
            s.replies(true, false);
            s.reply(Replies.of(Replies.OK));
        } else if (r.argEquals(2, "OFF")) {
            s.replies(false, false);
        } else if (r.argEquals(2, "SKIP")) {
            s.replies(true, true);
        } else {
            s.reply(Replies.error(alloc(s), "ERR syntax error"));
        }
    }

    // ---- introspection ----------------------------------------------------------------------

    private void info(ClientSession s, RespRequest r) {
        String[] sections = new String[r.argc() - 1];
        for (int i = 1; i < r.argc(); i++) {
            sections[i - 1] = r.argString(i);
        }
        boolean withKeymesh = InfoComposer.includesKeymesh(sections);
        if (!node.backend().up()) {
            s.reply(Replies.verbatim(alloc(s), s.protocol(), info.whileDown(withKeymesh, clientPort(s))));
            return;
        }
        String[] args = new String[r.argc()];
        args[0] = "INFO";
        System.arraycopy(sections, 0, args, 1, sections.length);
        int protocol = s.protocol();
        forwarder.forward(s, RespCommand.encode(args), frame -> {
            if (frame.getByte(frame.readerIndex()) == '-') {
                return frame.toString(StandardCharsets.UTF_8).startsWith("-BUSY ")
                        ? Replies.verbatim(alloc(s), protocol, info.whileBusy(withKeymesh, clientPort(s)))
                        : frame;
            }
            return Replies.verbatim(alloc(s), protocol, info.compose(InfoComposer.textOf(frame), withKeymesh, clientPort(s)));
        });
    }

    /** LATENCY HISTOGRAM [command ...] from keymesh's own histograms (latency as clients see it through keymesh). */
    private void latencyHistogram(ClientSession s, RespRequest r) {
        List<String> names = new java.util.ArrayList<>();
        for (int i = 2; i < r.argc(); i++) {
            names.add(r.argString(i));
        }
        s.reply(io.keymesh.proxy.metrics.LatencyReport.histogramReply(alloc(s), s.protocol(),
                io.keymesh.proxy.metrics.LatencyReport.select(node.sessions().latency().byCommand(), names)));
    }

    /** The port the client connected to: the node's bound client port (config port 0 picks one at start). */
    private int clientPort(ClientSession s) {
        return s.channel().localAddress() instanceof java.net.InetSocketAddress local ? local.getPort() : node.config().port();
    }

    private void clientList(ClientSession s, RespRequest r) {
        String type = null;
        List<Long> ids = null;
        for (int i = 2; i < r.argc(); i++) {
            if (r.argEquals(i, "TYPE") && i + 1 < r.argc()) {
                type = r.argString(++i).toLowerCase(Locale.ROOT);
                if (!List.of("normal", "master", "replica", "slave", "pubsub").contains(type)) {
                    s.reply(Replies.error(alloc(s), "ERR Unknown client type '" + type + "'"));
                    return;
                }
            } else if (r.argEquals(i, "ID") && i + 1 < r.argc()) {
                ids = new ArrayList<>();
                for (i++; i < r.argc(); i++) {
                    long id = r.argLong(i);
                    if (id <= 0) {
                        s.reply(Replies.error(alloc(s), "ERR Invalid client ID"));
                        return;
                    }
                    ids.add(id);
                }
            } else {
                s.reply(Replies.error(alloc(s), "ERR syntax error"));
                return;
            }
        }
        List<ClientSession> all = new ArrayList<>(node.sessions().all());
        all.sort((a, b) -> Long.compare(a.id(), b.id()));
        List<ClientSession> shown = new ArrayList<>();
        for (ClientSession c : all) {
            if ((ids == null || ids.contains(c.id()))
                    && (type == null || type.equals(c.subscribed() ? "pubsub" : "normal"))) {
                shown.add(c);
            }
        }
        clientLines(s, shown);
    }

    /**
     * Replies with the CLIENT LIST lines of {@code shown}; what Redis keeps on the sessions' own links
     * is read from the redis-server first (one CLIENT LIST ID request), unless none has a link, the
     * caller is inside MULTI (the request would be queued) or the backend is down.
     */
    private void clientLines(ClientSession s, List<ClientSession> shown) {
        List<String> request = new ArrayList<>(List.of("CLIENT", "LIST", "ID"));
        for (ClientSession c : shown) {
            if (c.backendClientId() > 0) {
                request.add(Long.toString(c.backendClientId()));
            }
        }
        if (request.size() == 3 || s.inMulti() || !node.backend().up()) {
            s.reply(Replies.verbatim(alloc(s), s.protocol(), lines(shown, Map.of())));
            return;
        }
        int protocol = s.protocol();
        forwarder.forward(s, RespCommand.encode(request.toArray(new String[0])), frame -> {
            Map<Long, Map<String, String>> links = Map.of();
            byte type = frame.getByte(frame.readerIndex());
            if (type == '$' || type == '=') {
                links = ClientLines.parse(InfoComposer.textOf(frame));
            }
            return Replies.verbatim(alloc(s), protocol, lines(shown, links));
        });
    }

    private static String lines(List<ClientSession> shown, Map<Long, Map<String, String>> links) {
        StringBuilder out = new StringBuilder();
        for (ClientSession c : shown) {
            out.append(ClientLines.line(c, c.backendClientId() > 0 ? links.get(c.backendClientId()) : null));
        }
        return out.toString();
    }

    private void clientKill(ClientSession s, RespRequest r) {
        if (r.argc() == 3) {                      // old form: CLIENT KILL addr:port
            String addr = r.argString(2);
            for (ClientSession c : node.sessions().all()) {
                if (c.remoteAddress().equals(addr)) {
                    s.reply(Replies.of(Replies.OK));
                    kill(s, c);
                    return;
                }
            }
            s.reply(Replies.error(alloc(s), "ERR No such client"));
            return;
        }
        Long id = null;
        String type = null;
        String user = null;
        String addr = null;
        String laddr = null;
        long maxAge = -1;
        boolean skipMe = true;
        if (r.argc() % 2 != 0) {
            s.reply(Replies.error(alloc(s), "ERR syntax error"));
            return;
        }
        for (int i = 2; i + 1 < r.argc(); i += 2) {
            String value = r.argString(i + 1);
            if (r.argEquals(i, "ID")) {
                id = r.argLong(i + 1);
                if (id <= 0) {
                    s.reply(Replies.error(alloc(s), "ERR client-id should be greater than 0"));
                    return;
                }
            } else if (r.argEquals(i, "TYPE")) {
                type = value.toLowerCase(Locale.ROOT);
                if (!List.of("normal", "master", "replica", "slave", "pubsub").contains(type)) {
                    s.reply(Replies.error(alloc(s), "ERR Unknown client type '" + value + "'"));
                    return;
                }
            } else if (r.argEquals(i, "USER")) {
                if (node.users().ref(value) == null) {
                    s.reply(Replies.error(alloc(s), "ERR No such user '" + value + "'"));
                    return;
                }
                user = value;
            } else if (r.argEquals(i, "ADDR")) {
                addr = value;
            } else if (r.argEquals(i, "LADDR")) {
                laddr = value;
            } else if (r.argEquals(i, "MAXAGE")) {
                maxAge = r.argLong(i + 1);
            } else if (r.argEquals(i, "SKIPME")) {
                if (!value.equalsIgnoreCase("yes") && !value.equalsIgnoreCase("no")) {
                    s.reply(Replies.error(alloc(s), "ERR syntax error"));
                    return;
                }
                skipMe = value.equalsIgnoreCase("yes");
            } else {
                s.reply(Replies.error(alloc(s), "ERR syntax error"));
                return;
            }
        }
        long now = node.clock().time().wallMillis();
        List<ClientSession> victims = new ArrayList<>();
        for (ClientSession c : node.sessions().all()) {
            if ((id != null && c.id() != id)
                    || (type != null && !type.equals(c.subscribed() ? "pubsub" : "normal"))
                    || (user != null && !user.equals(c.user()))
                    || (addr != null && !addr.equals(c.remoteAddress()))
                    || (laddr != null && !laddr.equals(c.localAddress()))
                    || (maxAge >= 0 && (now - c.createdMillis()) / 1000 < maxAge)
                    || (skipMe && c == s)) {
                continue;
            }
            victims.add(c);
        }
        s.reply(Replies.integer(alloc(s), victims.size()));
        victims.forEach(c -> kill(s, c));          // the caller itself (SKIPME no) goes after its reply
    }

    // ---- operator commands ------------------------------------------------------------------

    private void monitor(ClientSession s) {
        if (s.inMulti()) {
            s.reply(Replies.error(alloc(s), "ERR Command not allowed inside a transaction"));
            return;
        }
        if (s.monitoring()) {
            return;                               // Redis ignores a second MONITOR without a reply
        }
        s.reply(Replies.of(Replies.OK));
        s.monitor();
    }

    /** CLIENT PAUSE timeout [WRITE|ALL]: held by keymesh for its own clients (SessionHandler). */
    private void clientPause(ClientSession s, RespRequest r) {
        long millis = r.argLong(2);
        if (millis == Long.MIN_VALUE) {
            s.reply(Replies.error(alloc(s), "ERR timeout is not an integer or out of range"));
            return;
        }
        if (millis < 0) {
            s.reply(Replies.error(alloc(s), "ERR timeout is negative"));
            return;
        }
        boolean all = true;
        if (r.argc() == 4) {
            if (r.argEquals(3, "WRITE")) {
                all = false;
            } else if (!r.argEquals(3, "ALL")) {
                s.reply(Replies.error(alloc(s), "ERR CLIENT PAUSE mode must be WRITE or ALL"));
                return;
            }
        } else if (r.argc() > 4) {
            s.reply(Replies.error(alloc(s), "ERR syntax error"));
            return;
        }
        node.sessions().pause().pause(millis, all);
        s.reply(Replies.of(Replies.OK));
    }

    /**
     * CLIENT UNBLOCK id [TIMEOUT|ERROR]: a keymesh client blocks on its own backend link, so the
     * command is sent to the redis-server for that link's id; Redis' reply (1 or 0) is passed on and
     * the blocked client gets Redis' nil or -UNBLOCKED reply through its link.
     */
    private void clientUnblock(ClientSession s, RespRequest r) {
        long id = r.argLong(2);
        if (id == Long.MIN_VALUE) {
            s.reply(Replies.error(alloc(s), "ERR value is not an integer or out of range"));
            return;
        }
        String reason = "TIMEOUT";
        if (r.argc() == 4) {
            if (r.argEquals(3, "ERROR")) {
                reason = "ERROR";
            } else if (!r.argEquals(3, "TIMEOUT")) {
                s.reply(Replies.error(alloc(s), "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
                return;
            }
        } else if (r.argc() > 4) {
            s.reply(Replies.error(alloc(s), "ERR syntax error"));
            return;
        }
        ClientSession target = node.sessions().get(id);
        long backendId = target == null ? 0 : target.backendClientId();
        if (backendId <= 0 || !node.backend().up()) {
            s.reply(Replies.integer(alloc(s), 0));
            return;
        }
        forwarder.forward(s, RespCommand.encode("CLIENT", "UNBLOCK", Long.toString(backendId), reason), null);
    }

    private static void kill(ClientSession self, ClientSession victim) {
        if (victim == self) {
            self.closeAfterReplies();
        } else {
            victim.channel().eventLoop().execute(victim::closeNow);
        }
    }
}
