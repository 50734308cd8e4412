package io.keymesh.proxy.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test CA and the certificates it signs, made at test time with the openssl command line (bin/setup
 * --test checks for it): P-256 keys in PKCS#8 PEM, certificates valid for two days, for 127.0.0.1 and
 * localhost, usable by servers and clients. Files live under the directory given, which the caller deletes.
 */
public final class TestCertificates {
    private static final AtomicInteger SERIAL = new AtomicInteger((int) (System.nanoTime() & 0xffff) * 100);

    private final Path dir;
    private final Path caCert;
    private final Path caKey;

    /** A certificate with its key, and the CA file that verifies it. */
    public record Issued(Path cert, Path key, Path ca) {
        /** The keymesh.tls.* file keys for this certificate. */
        public Map<String, Object> settings() {
            return Map.of("keymesh.tls.cert-file", cert.toString(), "keymesh.tls.key-file", key.toString(),
                    "keymesh.tls.ca-cert-file", ca.toString());
        }
    }

    private TestCertificates(Path dir, Path caCert, Path caKey) {
        this.dir = dir;
        this.caCert = caCert;
        this.caKey = caKey;
    }

    /** A new CA named {@code name} in {@code dir}. */
    public static TestCertificates newCa(Path dir, String name) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path cert = dir.resolve(name + "-ca.crt");
        Path key = dir.resolve(name + "-ca.key");
        openssl(dir, "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=" + name + " test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return new TestCertificates(dir, cert, key);
    }

    public Path caCert() {
        return caCert;
    }

    /** A certificate with common name {@code name} signed by this CA, written to name.crt and name.key. */
    public Issued issue(String name) throws IOException, InterruptedException {
        Path key = dir.resolve(name + ".key");
        Path csr = dir.resolve(name + ".csr");
        Path cert = dir.resolve(name + ".crt");
        Path ext = dir.resolve(name + ".ext");
        Files.writeString(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                + "extendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n"
                + "keyUsage=critical,digitalSignature,keyAgreement\n");
        openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
        openssl(dir, "req", "-new", "-key", key.toString(), "-subj", "/CN=" + name, "-out", csr.toString());
        openssl(dir, "x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-set_serial", Integer.toString(SERIAL.incrementAndGet()), "-days", "2", "-extfile", ext.toString(),
                "-out", cert.toString());
        return new Issued(cert, key, caCert);
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Path log = dir.resolve("openssl.log");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed:\n" + Files.readString(log));
            }
        } finally {
            Teardown.stopProcess(p);
        }
    }
}
