package dev.kiln.probe;

import dev.kiln.exec.Procs;
import dev.kiln.exec.SshKeygen;
import dev.kiln.sandbox.Files2;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.SshPublicKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Issues OpenSSH user certificates with {@code ssh-keygen -s}, exactly as the README tells an
 * operator to, in a private temporary directory that {@link #close} deletes. Holds a CA: the
 * operator's (its private key file) or a throwaway one it makes itself ("another CA").
 */
final class CertificateIssuer implements AutoCloseable {
  private static final Duration T = Duration.ofSeconds(30);

  private final Path dir;
  private final Path caKey;
  private int files;

  private CertificateIssuer(Path dir, Path caKey) {
    this.dir = dir;
    this.caKey = caKey;
  }

  /** Uses the operator's CA private key (never copied, never logged). */
  static CertificateIssuer of(Path caKey) throws KilnException {
    return new CertificateIssuer(tempDir(), caKey);
  }

  /** Makes a throwaway CA of its own. */
  static CertificateIssuer throwaway() throws KilnException {
    Path dir = tempDir();
    Path key = dir.resolve("throwaway-ca");
    run(SshKeygen.ed25519("other-ca", key));
    return new CertificateIssuer(dir, key);
  }

  private static Path tempDir() throws KilnException {
    try {
      return Files.createTempDirectory(
          "kiln-certs",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException e) {
      throw new KilnException("cannot create a temporary directory: " + e.getMessage(), e);
    }
  }

  /** The CA's public key as {@code ssh-keygen -y} derives it from the private key. */
  SshPublicKey caPublicKey() throws KilnException {
    String out = run(List.of("ssh-keygen", "-y", "-f", caKey.toString())).output().strip();
    try {
      return SshPublicKey.parseLine(out.lines().reduce((a, b) -> b).orElse(""));
    } catch (SshPublicKey.Invalid e) {
      throw new KilnException("the break-glass CA key " + caKey + " " + e.getMessage(), e);
    }
  }

  /**
   * Signs {@code publicKeyLine}.
   *
   * @param keyId the certificate's key id ({@code -I}), which sshd logs
   * @param principals comma-separated principals ({@code -n})
   * @param validity {@code -V} interval, e.g. {@code -5m:+10m} or {@code 20200101:20200102}
   * @param serial {@code -z}
   * @return the certificate line
   */
  String sign(String publicKeyLine, String keyId, String principals, String validity, long serial)
      throws KilnException {
    String name = "k" + files++;
    Path pub = dir.resolve(name + ".pub");
    try {
      Files.writeString(pub, publicKeyLine.strip() + "\n");
      List<String> cmd = new ArrayList<>(List.of("ssh-keygen", "-q", "-s", caKey.toString()));
      cmd.addAll(
          List.of(
              "-I",
              keyId,
              "-n",
              principals,
              "-V",
              validity,
              "-z",
              Long.toString(serial),
              pub.toString()));
      run(cmd);
      Path cert = dir.resolve(name + "-cert.pub");
      return Files.readString(cert).strip();
    } catch (IOException e) {
      throw new KilnException("cannot issue a certificate: " + e.getMessage(), e);
    }
  }

  private static Procs.Result run(List<String> cmd) throws KilnException {
    Procs.Result r = Procs.run(cmd, T, Map.of("LC_ALL", "C"));
    if (r.exitCode() != 0) {
      throw new KilnException(
          "ssh-keygen failed (exit " + r.exitCode() + "): " + r.output().strip());
    }
    return r;
  }

  @Override
  public void close() {
    Files2.deleteTree(dir);
  }
}
