package io.keymesh.proxy.mesh;

import io.keymesh.proxy.testsupport.Teardown;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * N network namespaces of their own, each pair joined by a veth pair (the mesh links), plus one
 * veth per namespace from the test's namespace (the control link the test's clients use, never
 * impaired or cut). Adds delay and loss to every mesh link, with netem where the kernel has it and
 * otherwise with a {@link DelayRelay} process inside each namespace for the delay and an nftables
 * (or iptables) random drop on each mesh veth's ingress for the loss; {@link #mechanism()} says
 * which ran. {@link #cut} and {@link #heal} set both ends of a mesh veth down and up.
 * {@link #close()} (and a shutdown hook, should the JVM end first) stops the relays and deletes the
 * namespaces, which removes their veths.
 *
 * <p>Addresses: mesh link i-j is 10.B.k.0/30 (i's end .1, j's end .2), node i's control link is
 * 10.B.(100+i).0/30 (test side .1, namespace side .2), B picked so that no route of the test's
 * namespace uses 10.B.
 */
final class NetnsLab implements AutoCloseable {
    /** The client port of every node, each in its own namespace. */
    static final int NODE_PORT = 6380;
    private static final int RELAY_PORT_BASE = 7000;

    private final String id;
    private final int size;
    private final int b;
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> relays = new ArrayList<>();
    private final Thread cleanupHook;
    private String mechanism = "none";
    private boolean relayed;
    private boolean closed;

    /** Why this machine cannot run the lab (not root, no ip or tc), or null when it can. */
    static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "not root (user " + System.getProperty("user.name") + ")";
        }
        for (String tool : new String[] {"ip", "tc"}) {
            if (which(tool) == null) {
                return "no '" + tool + "' command (package iproute2; bin/setup --test installs it)";
            }
        }
        return null;
    }

    NetnsLab(int size) throws IOException, InterruptedException {
        this.id = String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
        this.size = size;
        this.b = freeSecondOctet();
        this.cleanupHook = new Thread(this::deleteNamespaces, "netns-cleanup-" + id);
        Runtime.getRuntime().addShutdownHook(cleanupHook);
        try {
            for (int i = 0; i < size; i++) {
                String ns = "kmc" + id + letter(i);
                run("ip", "netns", "add", ns);
                namespaces.add(ns);
                run("ip", "-n", ns, "link", "set", "lo", "up");
                String inside = veth(i, 'r');
                String outside = "km" + id + "r" + letter(i);
                run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside, "netns", ns);
                run("ip", "addr", "add", "10." + b + "." + (100 + i) + ".1/30", "dev", outside);
                run("ip", "link", "set", outside, "up");
                run("ip", "-n", ns, "addr", "add", controlAddress(i) + "/30", "dev", inside);
                run("ip", "-n", ns, "link", "set", inside, "up");
            }
            for (int i = 0; i < size; i++) {
                for (int j = i + 1; j < size; j++) {
                    run("ip", "link", "add", veth(i, j), "netns", namespaces.get(i), "type", "veth",
                            "peer", "name", veth(j, i), "netns", namespaces.get(j));
                    run("ip", "-n", namespaces.get(i), "addr", "add", meshAddress(i, j) + "/30", "dev", veth(i, j));
                    run("ip", "-n", namespaces.get(j), "addr", "add", meshAddress(j, i) + "/30", "dev", veth(j, i));
                    heal(i, j);
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The command prefix that runs a process inside node {@code i}'s namespace. */
    List<String> launcher(int i) {
        String ip = which("ip");
        return List.of(ip == null ? "ip" : ip, "netns", "exec", namespaces.get(i));
    }

    /** Node {@code i}'s address on its control link (where the test's clients reach it). */
    String controlAddress(int i) {
        return "10." + b + "." + (100 + i) + ".2";
    }

    /** Node {@code i}'s address on its mesh link to node {@code j}. */
    String meshAddress(int i, int j) {
        int lo = Math.min(i, j);
        int hi = Math.max(i, j);
        return "10." + b + "." + (1 + lo * size + hi) + "." + (i == lo ? 1 : 2);
    }

    /** What node {@code i} lists as its peers: the others' mesh addresses, or its namespace's relays to them. */
    List<String> peers(int i) {
        List<String> out = new ArrayList<>();
        for (int j = 0; j < size; j++) {
            if (j != i) {
                out.add(relayed ? "127.0.0.1:" + (RELAY_PORT_BASE + j) : meshAddress(j, i) + ":" + NODE_PORT);
            }
        }
        return out;
    }

    /**
     * Adds {@code delayMillis} of delay in each direction and {@code lossPercent} % loss to every
     * mesh link: netem when the kernel has it, else a relay per namespace and an nftables or
     * iptables drop. Call before the nodes start (their peer addresses depend on it).
     */
    void impair(int delayMillis, int lossPercent) throws IOException, InterruptedException {
        String netem = tryRun("ip", "netns", "exec", namespaces.get(0), "tc", "qdisc", "add", "dev", veth(0, 1),
                "root", "netem", "delay", delayMillis + "ms", "loss", lossPercent + "%");
        if (netem == null) {
            for (int i = 0; i < size; i++) {
                for (int j = 0; j < size; j++) {
                    if (i != j && !(i == 0 && j == 1)) {
                        run("ip", "netns", "exec", namespaces.get(i), "tc", "qdisc", "add", "dev", veth(i, j),
                                "root", "netem", "delay", delayMillis + "ms", "loss", lossPercent + "%");
                    }
                }
            }
            mechanism = "netem: delay " + delayMillis + "ms loss " + lossPercent + "% on every mesh veth (tc qdisc)";
            return;
        }
        String loss = dropWithNftables(lossPercent) ? "nftables 'numgen random mod 100 < " + lossPercent + " drop'"
                : dropWithIptables(lossPercent) ? "iptables '-m statistic --mode random --probability " + lossPercent / 100.0
                + " -j DROP'" : null;
        if (loss == null) {
            throw new IllegalStateException("no netem (" + netem.trim() + "), and neither nft nor iptables can drop "
                    + "packets in a namespace: cannot add loss");
        }
        startRelays(delayMillis);
        mechanism = "no netem in this kernel (tc: " + netem.trim() + "); delay: a userspace DelayRelay inside each "
                + "namespace, " + delayMillis + " ms each way; loss: " + loss + " on the ingress of every mesh veth";
    }

    /** Which mechanisms {@link #impair} used, for the test's output. */
    String mechanism() {
        return mechanism;
    }

    /** Sets both ends of the mesh veth between {@code i} and {@code j} down. */
    void cut(int i, int j) throws IOException, InterruptedException {
        run("ip", "-n", namespaces.get(i), "link", "set", veth(i, j), "down");
        run("ip", "-n", namespaces.get(j), "link", "set", veth(j, i), "down");
    }

    /** Sets both ends of the mesh veth between {@code i} and {@code j} up. */
    void heal(int i, int j) throws IOException, InterruptedException {
        run("ip", "-n", namespaces.get(i), "link", "set", veth(i, j), "up");
        run("ip", "-n", namespaces.get(j), "link", "set", veth(j, i), "up");
    }

    private boolean dropWithNftables(int percent) throws IOException, InterruptedException {
        if (which("nft") == null) {
            return false;
        }
        for (int i = 0; i < size; i++) {
            List<String> ns = launcher(i);
            if (tryRun(concat(ns, "nft", "add", "table", "inet", "kmchaos")) != null
                    || tryRun(concat(ns, "nft", "add", "chain", "inet", "kmchaos", "in",
                    "{ type filter hook input priority 0 ; }")) != null) {
                return false;
            }
            for (int j = 0; j < size; j++) {
                if (j != i && tryRun(concat(ns, "nft", "add", "rule", "inet", "kmchaos", "in", "iifname", veth(i, j),
                        "numgen", "random", "mod", "100", "<", Integer.toString(percent), "drop")) != null) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean dropWithIptables(int percent) throws IOException, InterruptedException {
        if (which("iptables") == null) {
            return false;
        }
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                if (j != i && tryRun(concat(launcher(i), "iptables", "-A", "INPUT", "-i", veth(i, j), "-m", "statistic",
                        "--mode", "random", "--probability", Double.toString(percent / 100.0), "-j", "DROP")) != null) {
                    return false;
                }
            }
        }
        return true;
    }

    private void startRelays(int delayMillis) throws IOException, InterruptedException {
        for (int i = 0; i < size; i++) {
            List<String> command = new ArrayList<>(launcher(i));
            command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classPath(), DelayRelay.class.getName(),
                    Integer.toString(delayMillis)));
            for (int j = 0; j < size; j++) {
                if (j != i) {
                    command.add("127.0.0.1:" + (RELAY_PORT_BASE + j) + "=" + meshAddress(j, i) + ":" + NODE_PORT);
                }
            }
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            relays.add(p);
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            if (!"relay ready".equals(line)) {
                throw new IllegalStateException("delay relay in " + namespaces.get(i) + " did not start: " + line);
            }
        }
        relayed = true;
    }

    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    private String veth(int i, int j) {
        return "km" + id + letter(i) + letter(j);
    }

    private String veth(int i, char other) {
        return "km" + id + letter(i) + other;
    }

    private static char letter(int i) {
        return (char) ('a' + i);
    }

    private static int freeSecondOctet() throws IOException, InterruptedException {
        String routes = run("ip", "-4", "route", "show", "table", "all");
        for (int attempt = 0; attempt < 100; attempt++) {
            int b = 100 + ThreadLocalRandom.current().nextInt(150);
            if (!routes.contains("10." + b + ".")) {
                return b;
            }
        }
        throw new IllegalStateException("no free 10.B.0.0/16 for the namespaces' links");
    }

    private static List<String> concat(List<String> prefix, String... rest) {
        List<String> out = new ArrayList<>(prefix);
        out.addAll(List.of(rest));
        return out;
    }

    /** Runs a command; its output, or an exception with the output when it fails. */
    static String run(String... command) throws IOException, InterruptedException {
        Result r = execute(List.of(command));
        if (r.exit() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + r.describe());
        }
        return r.output();
    }

    private static String tryRun(String... command) throws IOException, InterruptedException {
        return tryRun(List.of(command));
    }

    /** Runs a command; null when it succeeds, else its output and exit code. */
    private static String tryRun(List<String> command) throws IOException, InterruptedException {
        Result r = execute(command);
        return r.exit() == 0 ? null : r.describe();
    }

    private record Result(int exit, String output) {
        String describe() {
            return output.trim() + " (exit " + exit + ")";
        }
    }

    private static Result execute(List<String> command) throws IOException, InterruptedException {
        List<String> resolved = new ArrayList<>(command);
        String tool = which(resolved.get(0));
        if (tool != null) {
            resolved.set(0, tool);
        }
        Process p = new ProcessBuilder(resolved).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, out + " (timed out)");
        }
        return new Result(p.exitValue(), out);
    }

    private static String which(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return dir + "/" + tool;
            }
        }
        for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return dir + "/" + tool;
            }
        }
        return null;
    }

    private synchronized void deleteNamespaces() {
        for (Process p : relays) {
            Teardown.stopProcess(p);
        }
        relays.clear();
        for (String ns : namespaces) {
            try {
                tryRun("ip", "netns", "del", ns);
            } catch (IOException | InterruptedException e) {
                // best effort: the next attempt or the shutdown hook tries again
            }
        }
        namespaces.clear();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        deleteNamespaces();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupHook);
        } catch (IllegalStateException ignored) {
            // the JVM is shutting down: the hook runs anyway
        }
    }
}
