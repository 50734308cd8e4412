package io.keymesh.topology.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PEM files of {@code keymesh.tls.*}: X.509 certificates, and an unencrypted private key
 * in PKCS#8 ("PRIVATE KEY": RSA, EC, Ed25519) or PKCS#1 ("RSA PRIVATE KEY") form. Every failure
 * names the file.
 */
final class PemFiles {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
    /** DER of AlgorithmIdentifier { rsaEncryption, NULL }. */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

    private PemFiles() {
    }

    /** The certificates of {@code file}, in file order (at least one). */
    static List<X509Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        byte[] bytes = read(file);
        List<X509Certificate> certs = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(bytes)).stream().map(c -> (X509Certificate) c).toList();
        if (certs.isEmpty()) {
            throw new GeneralSecurityException(file + " holds no PEM certificate");
        }
        return certs;
    }

    /** The private key of {@code file}. */
    static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        Matcher m = BLOCK.matcher(new String(read(file), StandardCharsets.US_ASCII));
        while (m.find()) {
            String type = m.group(1);
            byte[] der = Base64.getMimeDecoder().decode(m.group(2));
            switch (type) {
                case "PRIVATE KEY":
                    return pkcs8(der, file);
                case "RSA PRIVATE KEY":
                    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(wrapPkcs1(der)));
                case "ENCRYPTED PRIVATE KEY":
                    throw new GeneralSecurityException(file + " holds an encrypted private key; keymesh reads "
                            + "unencrypted keys (openssl pkey -in KEY -out PLAIN)");
                default:
                    // certificates or parameters next to the key: skip
            }
        }
        throw new GeneralSecurityException(file + " holds no PEM private key (\"PRIVATE KEY\" or \"RSA PRIVATE KEY\")");
    }

    private static PrivateKey pkcs8(byte[] der, Path file) throws GeneralSecurityException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new GeneralSecurityException(file + ": the private key is not RSA, EC or EdDSA");
    }

    /** PKCS#1 RSAPrivateKey wrapped as PKCS#8 PrivateKeyInfo { version 0, rsaEncryption, key }. */
    private static byte[] wrapPkcs1(byte[] pkcs1) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(RSA_ALGORITHM);
        body.write(0x04);
        body.writeBytes(derLength(pkcs1.length));
        body.writeBytes(pkcs1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x30);
        out.writeBytes(derLength(body.size()));
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static byte[] derLength(int length) {
        if (length < 0x80) {
            return new byte[] {(byte) length};
        }
        int bytes = length > 0xffffff ? 4 : length > 0xffff ? 3 : length > 0xff ? 2 : 1;
        byte[] out = new byte[bytes + 1];
        out[0] = (byte) (0x80 | bytes);
        for (int i = bytes; i > 0; i--) {
            out[i] = (byte) length;
            length >>>= 8;
        }
        return out;
    }

    private static byte[] read(Path file) throws IOException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e, e);
        }
    }
}
