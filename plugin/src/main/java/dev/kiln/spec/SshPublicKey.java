package dev.kiln.spec;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * One OpenSSH public key line ({@code type base64 [comment]}), parsed strictly: the blob must be
 * well-formed for its type, with nothing left over. Used for a CA key that ends up in {@code
 * TrustedUserCAKeys}: a line with options ({@code cert-authority,...}), a certificate, a DSA key or
 * a short RSA key is refused, because sshd would either reject it at login or trust it too widely.
 *
 * @param type the key type
 * @param base64 the key blob, base64
 */
public record SshPublicKey(String type, String base64) {

  /** Key types accepted, each with the strings/mpints its blob holds after the type. */
  private static final Map<String, String> LAYOUT =
      Map.of(
          "ssh-ed25519", "k",
          "sk-ssh-ed25519@openssh.com", "ka",
          "ecdsa-sha2-nistp256", "cp",
          "ecdsa-sha2-nistp384", "cp",
          "ecdsa-sha2-nistp521", "cp",
          "sk-ecdsa-sha2-nistp256@openssh.com", "cpa",
          "ssh-rsa", "mm");

  /** Smallest RSA modulus accepted, in bits. */
  static final int MIN_RSA_BITS = 3072;

  /** Thrown with a sentence saying what is wrong (never the key material). */
  public static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message);
    }
  }

  /**
   * Parses the text of a public key file: exactly one key line, blank lines and {@code #} comments
   * ignored.
   */
  public static SshPublicKey parseFile(String text) throws Invalid {
    List<String> lines = new ArrayList<>();
    for (String l : text.split("\n", -1)) {
      String s = l.strip();
      if (!s.isEmpty() && !s.startsWith("#")) {
        lines.add(s);
      }
    }
    if (lines.size() != 1) {
      throw new Invalid("holds " + lines.size() + " key lines, expected exactly one");
    }
    return parseLine(lines.get(0));
  }

  /** Parses one line {@code type base64 [comment]}. */
  public static SshPublicKey parseLine(String line) throws Invalid {
    String[] f = line.strip().split("[ \t]+", 3);
    String type = f[0];
    if (type.contains("-cert-v01@openssh.com")) {
      throw new Invalid("is a certificate (" + type + "), expected the CA's plain public key");
    }
    if (!LAYOUT.containsKey(type)) {
      throw new Invalid(
          "starts with '"
              + printable(type)
              + "', expected a key type from "
              + LAYOUT.keySet().stream().sorted().toList()
              + " and no options");
    }
    if (f.length < 2) {
      throw new Invalid("has no base64 key after " + type);
    }
    byte[] blob;
    try {
      blob = Base64.getDecoder().decode(f[1]);
    } catch (IllegalArgumentException e) {
      throw new Invalid("has a key that is not valid base64");
    }
    ByteBuffer b = ByteBuffer.wrap(blob);
    String inner = new String(string(b), StandardCharsets.US_ASCII);
    if (!inner.equals(type)) {
      throw new Invalid("says " + type + " but its key blob is " + printable(inner));
    }
    String curve = type.startsWith("ecdsa") ? type.substring("ecdsa-sha2-".length()) : "nistp256";
    for (char part : LAYOUT.get(type).toCharArray()) {
      byte[] v = string(b);
      switch (part) {
        case 'k' -> {
          if (v.length != 32) {
            throw new Invalid("has an ed25519 key of " + v.length + " bytes, expected 32");
          }
        }
        case 'c' -> {
          if (!new String(v, StandardCharsets.US_ASCII).equals(curve)) {
            throw new Invalid(
                "names curve "
                    + printable(new String(v, StandardCharsets.US_ASCII))
                    + ", expected "
                    + curve);
          }
        }
        case 'p' -> {
          int n = Map.of("nistp256", 65, "nistp384", 97, "nistp521", 133).get(curve);
          if (v.length != n || v[0] != 4) {
            throw new Invalid("has a malformed " + curve + " point");
          }
        }
        case 'm' -> {
          BigInteger m = new BigInteger(v);
          if (m.signum() <= 0) {
            throw new Invalid("has a malformed RSA key");
          }
          if (!b.hasRemaining() && m.bitLength() < MIN_RSA_BITS) {
            throw new Invalid(
                "is an RSA key of " + m.bitLength() + " bits, expected at least " + MIN_RSA_BITS);
          }
        }
        default -> {
          // 'a': the application string of a security key; any value
        }
      }
    }
    if (b.hasRemaining()) {
      throw new Invalid("has " + b.remaining() + " bytes after the key");
    }
    return new SshPublicKey(type, Base64.getEncoder().encodeToString(blob));
  }

  private static byte[] string(ByteBuffer b) throws Invalid {
    if (b.remaining() < 4) {
      throw new Invalid("has a truncated key blob");
    }
    int n = b.getInt();
    if (n < 0 || n > b.remaining()) {
      throw new Invalid("has a truncated key blob");
    }
    byte[] v = new byte[n];
    b.get(v);
    return v;
  }

  /** The line written to the image: type, base64, and a fixed comment (the user's is dropped). */
  public String line(String comment) {
    return type + " " + base64 + " " + comment;
  }

  /** {@code SHA256:...} as {@code ssh-keygen -l} prints it. */
  public String fingerprint() {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(Base64.getDecoder().decode(base64));
      return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** At most 40 characters, non-printable ones escaped: safe to put in a message. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (b.length() >= 40) {
        b.append('…');
        break;
      }
      if (c >= 0x20 && c < 0x7f) {
        b.append(c);
      } else {
        b.append(String.format("\\u%04x", (int) c));
      }
    }
    return b.toString();
  }
}
