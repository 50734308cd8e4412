package io.keymesh.proxy.acl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The ACL LOG: the latest refusals and failed logins, newest first, at most {@link #MAX_ENTRIES}.
 * A refusal like one logged in the last minute (same reason, context, object and user) counts
 * into that entry, as Redis groups them. Thread-safe: sessions of every event loop log here.
 */
public final class AclLog {
    /** Redis' default acllog-max-len. */
    public static final int MAX_ENTRIES = 128;
    private static final long GROUPING_MILLIS = 60_000;

    /** One entry; {@code count}, {@code createdMillis} and {@code clientInfo} change as like refusals are grouped into it. */
    public static final class Entry {
        public final String reason;
        public final String context;
        public final String object;
        public final String username;
        long count = 1;
        long createdMillis;
        String clientInfo;

        Entry(String reason, String context, String object, String username, long now, String clientInfo) {
            this.reason = reason;
            this.context = context;
            this.object = object;
            this.username = username;
            this.createdMillis = now;
            this.clientInfo = clientInfo;
        }

        public long count() {
            return count;
        }

        public long createdMillis() {
            return createdMillis;
        }

        public String clientInfo() {
            return clientInfo;
        }
    }

    private final ArrayDeque<Entry> entries = new ArrayDeque<>();

    /** Records a refusal at {@code now} (wall milliseconds); {@code context} is "toplevel" or "multi". */
    public synchronized void add(String reason, String context, String object, String username, String clientInfo,
                                 long now) {
        for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (now - e.createdMillis < GROUPING_MILLIS && e.reason.equals(reason) && e.context.equals(context)
                    && e.object.equals(object) && e.username.equals(username)) {
                it.remove();
                e.count++;
                e.createdMillis = now;
                e.clientInfo = clientInfo;
                entries.addFirst(e);
                return;
            }
        }
        entries.addFirst(new Entry(reason, context, object, username, now, clientInfo));
        while (entries.size() > MAX_ENTRIES) {
            entries.removeLast();
        }
    }

    /** The newest {@code count} entries, newest first (snapshots of their fields). */
    public synchronized List<Entry> latest(int count) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            if (out.size() >= count) {
                break;
            }
            Entry copy = new Entry(e.reason, e.context, e.object, e.username, e.createdMillis, e.clientInfo);
            copy.count = e.count;
            out.add(copy);
        }
        return out;
    }

    public synchronized void reset() {
        entries.clear();
    }
}
