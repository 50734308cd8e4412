package io.keymesh.topology.tls;

import io.keymesh.topology.clock.TimeSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A node's TLS material: one JDK {@link SSLContext} holding this node's certificate and key (served
 * on the TLS port, presented by its links) and trusting the CA of {@code keymesh.tls.ca-cert-file}.
 * The files are checked for changes (modification time and size) at most once per second when a
 * connection asks for the context, and a changed set is loaded for new connections; a set that does
 * not load (a file half written) is logged and the previous context stays. Also counts refused
 * handshakes: {@link #incoming()} on the TLS port, {@link #outgoing()} on links and health checks.
 */
public final class NodeTls {
    private static final Logger log = LoggerFactory.getLogger(NodeTls.class);
    private static final long CHECK_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final TlsSettings settings;
    private final String[] protocols;
    private final String[] ciphers;
    private final TimeSource time;
    private final TlsRefusals incoming;
    private final TlsRefusals outgoing;
    private final AtomicLong reloads = new AtomicLong();
    private volatile Loaded current;
    private volatile long nextCheckNanos;
    private List<Long> failedStamp;

    private record Loaded(SSLContext context, List<Long> stamp, X509Certificate certificate) {
    }

    private NodeTls(TlsSettings settings, Loaded loaded, TimeSource time) {
        this.settings = settings;
        this.current = loaded;
        this.time = time;
        this.incoming = new TlsRefusals("TLS client", time);
        this.outgoing = new TlsRefusals("TLS server", time);
        this.nextCheckNanos = time.monotonicNanos() + CHECK_INTERVAL_NANOS;
        SSLParameters supported = loaded.context().getSupportedSSLParameters();
        this.protocols = pick("keymesh.tls.protocols", settings.protocols(), supported.getProtocols());
        this.ciphers = pick("keymesh.tls.ciphers", settings.ciphers(), supported.getCipherSuites());
    }

    /**
     * Loads the files of {@code settings} (which must be {@link TlsSettings#enabled()}).
     *
     * @throws IllegalArgumentException naming the file or key at fault
     */
    public static NodeTls load(TlsSettings settings) {
        return load(settings, TimeSource.system());
    }

    /** The same, checking the files for changes on {@code time}'s monotonic clock. */
    public static NodeTls load(TlsSettings settings, TimeSource time) {
        try {
            NodeTls tls = new NodeTls(settings, build(settings, stamp(settings)), time);
            log.info("TLS certificate {} (valid until {}){}", tls.current.certificate().getSubjectX500Principal(),
                    tls.current.certificate().getNotAfter().toInstant(),
                    settings.caCertFile() == null ? "" : ", peers and clients verified against " + settings.caCertFile());
            return tls;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("keymesh.tls: " + e.getMessage(), e);
        }
    }

    public TlsSettings settings() {
        return settings;
    }

    /** The current context, reloaded first if the files changed (checked at most once per second). */
    public SSLContext context() {
        long now = time.monotonicNanos();
        if (now - nextCheckNanos >= 0) {
            reloadIfChanged(now);
        }
        return current.context();
    }

    private synchronized void reloadIfChanged(long now) {
        if (now - nextCheckNanos < 0) {
            return;
        }
        nextCheckNanos = now + CHECK_INTERVAL_NANOS;
        List<Long> stamp = stamp(settings);
        if (stamp.equals(current.stamp()) || stamp.equals(failedStamp)) {
            return;
        }
        try {
            Loaded loaded = build(settings, stamp);
            current = loaded;
            failedStamp = null;
            reloads.incrementAndGet();
            log.info("TLS certificate reloaded: {} (valid until {}); new connections use it",
                    loaded.certificate().getSubjectX500Principal(), loaded.certificate().getNotAfter().toInstant());
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            failedStamp = stamp;
            log.warn("TLS files changed but do not load ({}); the previous certificate stays in use", e.getMessage());
        }
    }

    /** The protocols to enable, or null for the JVM's defaults. */
    public String[] protocols() {
        return protocols == null ? null : protocols.clone();
    }

    /** The cipher suites to enable, or null for the JVM's defaults. */
    public String[] ciphers() {
        return ciphers == null ? null : ciphers.clone();
    }

    /** Applies the configured protocols and ciphers to a socket. */
    public void configure(SSLSocket socket) {
        if (protocols != null) {
            socket.setEnabledProtocols(protocols);
        }
        if (ciphers != null) {
            socket.setEnabledCipherSuites(ciphers);
        }
    }

    /** Handshakes refused on the TLS client port (the client's certificate, or not TLS at all). */
    public TlsRefusals incoming() {
        return incoming;
    }

    /** Handshakes of links and health checks refused by this node (the server's certificate). */
    public TlsRefusals outgoing() {
        return outgoing;
    }

    /** Certificate reloads since start. */
    public long reloads() {
        return reloads.get();
    }

    private static String[] pick(String key, List<String> wanted, String[] supported) {
        if (wanted.isEmpty()) {
            return null;
        }
        List<String> known = Arrays.asList(supported);
        List<String> unknown = new ArrayList<>();
        for (String w : wanted) {
            if (!known.contains(w)) {
                unknown.add(w);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(key + ": not supported by this JVM: " + String.join(" ", unknown)
                    + " (supported: " + String.join(" ", supported) + ")");
        }
        return wanted.toArray(String[]::new);
    }

    private static Loaded build(TlsSettings s, List<Long> stamp) throws IOException, GeneralSecurityException {
        List<X509Certificate> chain = PemFiles.certificates(s.certFile());
        PrivateKey key = PemFiles.privateKey(s.keyFile());
        if (!matches(key, chain.get(0))) {
            throw new GeneralSecurityException(s.keyFile() + " is not the private key of the certificate in "
                    + s.certFile());
        }
        char[] password = new char[0];
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("node", key, password, chain.toArray(X509Certificate[]::new));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        TrustManagerFactory tmf = null;
        if (s.caCertFile() != null) {
            KeyStore trusted = KeyStore.getInstance("PKCS12");
            trusted.load(null, null);
            int i = 0;
            for (X509Certificate ca : PemFiles.certificates(s.caCertFile())) {
                trusted.setCertificateEntry("ca-" + i++, ca);
            }
            tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trusted);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
        return new Loaded(context, stamp, chain.get(0));
    }

    /** True when {@code key} signs what {@code cert}'s public key verifies (a key and certificate of one pair). */
    private static boolean matches(PrivateKey key, X509Certificate cert) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> key.getAlgorithm();
            default -> null;
        };
        if (!key.getAlgorithm().equals(cert.getPublicKey().getAlgorithm())) {
            return false;
        }
        if (algorithm == null) {
            return true;            // no check known for this algorithm; a mismatch fails at the handshake
        }
        byte[] probe = "keymesh key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(probe);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        verifier.initVerify(cert.getPublicKey());
        verifier.update(probe);
        return verifier.verify(signature);
    }

    /** Modification time and size of each file (-1 for one that cannot be read now). */
    private static List<Long> stamp(TlsSettings s) {
        List<Long> out = new ArrayList<>();
        for (Path p : new Path[] {s.certFile(), s.keyFile(), s.caCertFile()}) {
            try {
                out.add(p == null ? 0 : Files.getLastModifiedTime(p).to(TimeUnit.MICROSECONDS));
                out.add(p == null ? 0 : Files.size(p));
            } catch (IOException e) {
                out.add(-1L);
                out.add(-1L);
            }
        }
        return out;
    }
}
