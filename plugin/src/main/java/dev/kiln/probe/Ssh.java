package dev.kiln.probe;

import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.KeyPair;
import com.jcraft.jsch.Session;
import com.jcraft.jsch.UIKeyboardInteractive;
import com.jcraft.jsch.UserInfo;
import dev.kiln.exec.Procs;
import dev.kiln.exec.SshKeygen;
import dev.kiln.spec.KilnException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

/**
 * SSH from outside the candidate with jsch: logins with a key, a password or keyboard-interactive,
 * and commands in a session. Every attempt's outcome is classified so that a refused login is never
 * confused with a connection that did not happen (a banned source, a dead bridge).
 */
public final class Ssh {
  private Ssh() {}

  /** How an attempt ended. */
  public enum Kind {
    /** authenticated: a session is open */
    LOGGED_IN,
    /** the server completed the handshake and refused authentication */
    REFUSED,
    /** no SSH conversation: connection refused, closed before the banner, timeout */
    NO_CONNECTION
  }

  /** An attempt's outcome; {@code session} is open when {@code kind} is LOGGED_IN. */
  public record Attempt(Kind kind, String detail, Session session, String hostKey) {
    public void close() {
      if (session != null) {
        session.disconnect();
      }
    }
  }

  /** A generated key pair: OpenSSH public line and private key bytes (kept in memory only). */
  public record Key(String publicLine, byte[] privateKey, String fingerprint) {}

  /**
   * Generates an ed25519 key pair with ssh-keygen (jsch cannot write ed25519 private keys) in a
   * private temporary directory that is deleted at once; the private key stays in memory.
   */
  public static Key newKey(String comment) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("kiln-probe-key");
      Path f = dir.resolve("k");
      Procs.Result r = Procs.run(SshKeygen.ed25519(comment, f), Duration.ofSeconds(20), Map.of());
      if (!r.ok()) {
        throw new IllegalStateException("ssh-keygen failed: " + r.output());
      }
      byte[] prv = Files.readAllBytes(f);
      String pub = Files.readString(dir.resolve("k.pub")).strip();
      KeyPair kp = KeyPair.load(new JSch(), prv, pub.getBytes(StandardCharsets.UTF_8));
      String fp = kp.getFingerPrint();
      kp.dispose();
      return new Key(pub, prv, fp);
    } catch (IOException | JSchException | KilnException e) {
      throw new IllegalStateException("cannot generate an ed25519 key: " + e.getMessage(), e);
    } finally {
      if (dir != null) {
        try (var s = Files.list(dir)) {
          for (Path x : s.toList()) {
            Files.deleteIfExists(x);
          }
          Files.deleteIfExists(dir);
        } catch (IOException e) {
          // temporary directory left behind
        }
      }
    }
  }

  /** Loads an existing private key (OpenSSH or PEM) and derives its public line. */
  public static Key loadKey(Path file) throws IOException {
    try {
      byte[] prv = Files.readAllBytes(file);
      Path pubFile = Path.of(file + ".pub");
      byte[] pub = Files.isRegularFile(pubFile) ? Files.readAllBytes(pubFile) : null;
      KeyPair kp = KeyPair.load(new JSch(), prv, pub);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      kp.writePublicKey(out, "kiln-verify");
      String fp = kp.getFingerPrint();
      kp.dispose();
      return new Key(out.toString(StandardCharsets.UTF_8).strip(), prv, fp);
    } catch (JSchException e) {
      throw new IOException("cannot read the private key " + file + ": " + e.getMessage(), e);
    }
  }

  /** Logs in with a key. */
  public static Attempt withKey(String host, int port, String user, Key key) {
    JSch jsch = new JSch();
    try {
      jsch.addIdentity(user + "-probe", key.privateKey(), null, null);
    } catch (JSchException e) {
      return new Attempt(Kind.NO_CONNECTION, "bad identity: " + e.getMessage(), null, null);
    }
    return connect(jsch, host, port, user, "publickey", null);
  }

  /**
   * Logs in with a key and its OpenSSH certificate ({@code ssh-keygen -s} output, one line): jsch
   * offers the certificate, as {@code ssh -i key} does when {@code key-cert.pub} lies beside it.
   */
  public static Attempt withCertificate(
      String host, int port, String user, Key key, String certificate) {
    JSch jsch = new JSch();
    try {
      jsch.addIdentity(
          user + "-cert",
          key.privateKey(),
          (certificate.strip() + "\n").getBytes(StandardCharsets.UTF_8),
          null);
    } catch (JSchException e) {
      return new Attempt(
          Kind.NO_CONNECTION, "bad certificate identity: " + e.getMessage(), null, null);
    }
    return connect(jsch, host, port, user, "publickey", null);
  }

  /** Tries {@code password} authentication only. */
  public static Attempt withPassword(String host, int port, String user, String password) {
    return connect(new JSch(), host, port, user, "password", password);
  }

  /** Tries {@code keyboard-interactive} only, answering every prompt with {@code password}. */
  public static Attempt withKeyboardInteractive(
      String host, int port, String user, String password) {
    return connect(new JSch(), host, port, user, "keyboard-interactive", password);
  }

  private static Attempt connect(
      JSch jsch, String host, int port, String user, String methods, String password) {
    Session s = null;
    try {
      s = jsch.getSession(user, host, port);
      s.setConfig("StrictHostKeyChecking", "no");
      s.setConfig("PreferredAuthentications", methods);
      s.setConfig("MaxAuthTries", "1");
      if (password != null) {
        s.setPassword(password);
        s.setUserInfo(new Answers(password));
      }
      s.setTimeout(10_000);
      s.connect(10_000);
      return new Attempt(
          Kind.LOGGED_IN, "authenticated as " + user + " by " + methods, s, hostKey(s));
    } catch (JSchException e) {
      String hk = s == null ? null : hostKey(s);
      if (s != null) {
        s.disconnect();
      }
      String m = String.valueOf(e.getMessage());
      if (m.contains("Auth fail") || m.contains("Auth cancel") || m.contains("USERAUTH fail")) {
        return new Attempt(Kind.REFUSED, "refused: " + m, null, hk);
      }
      return new Attempt(Kind.NO_CONNECTION, "no SSH conversation: " + m, null, hk);
    }
  }

  private static String hostKey(Session s) {
    var hk = s.getHostKey();
    return hk == null ? null : hk.getType() + " " + hk.getKey();
  }

  /** A command's exit status and output (stdout then stderr). */
  public record Exec(int exit, String out, String err) {
    public String all() {
      return (out + err).strip();
    }
  }

  /** Runs a command in an open session. */
  public static Exec run(Session s, String command) throws IOException {
    try {
      ChannelExec ch = (ChannelExec) s.openChannel("exec");
      ch.setCommand(command);
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      ch.setErrStream(err);
      InputStream in = ch.getInputStream();
      ch.connect(10_000);
      byte[] out = in.readAllBytes();
      long deadline = System.currentTimeMillis() + 30_000;
      while (!ch.isClosed() && System.currentTimeMillis() < deadline) {
        Thread.sleep(10);
      }
      int exit = ch.getExitStatus();
      ch.disconnect();
      return new Exec(
          exit, new String(out, StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } catch (JSchException e) {
      throw new IOException("cannot run '" + command + "': " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** The base64 body of an OpenSSH public key line. */
  public static String body(String publicLine) {
    String[] f = publicLine.strip().split("\\s+");
    return f.length > 1 ? f[1] : f[0];
  }

  /** Compares two public keys by their decoded blob. */
  public static boolean sameKey(String a, String b) {
    try {
      return java.util.Arrays.equals(
          Base64.getDecoder().decode(body(a)), Base64.getDecoder().decode(body(b)));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static final class Answers implements UserInfo, UIKeyboardInteractive {
    private final String password;

    Answers(String password) {
      this.password = password;
    }

    @Override
    public String[] promptKeyboardInteractive(
        String destination, String name, String instruction, String[] prompt, boolean[] echo) {
      String[] a = new String[prompt.length];
      java.util.Arrays.fill(a, password);
      return a;
    }

    @Override
    public String getPassphrase() {
      return null;
    }

    @Override
    public String getPassword() {
      return password;
    }

    @Override
    public boolean promptPassword(String message) {
      return true;
    }

    @Override
    public boolean promptPassphrase(String message) {
      return false;
    }

    @Override
    public boolean promptYesNo(String message) {
      return true;
    }

    @Override
    public void showMessage(String message) {}
  }
}
