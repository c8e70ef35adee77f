package dev.kiln.probe;

import dev.kiln.check.CheckInput;
import java.util.List;

/**
 * What the probes expect, from the resolved configuration.
 *
 * @param iamGroups authorized IAM groups ({@code <access><iamGroups>}; empty: every IAM user)
 * @param sudoGroups IAM groups whose members get sudo
 * @param keyCacheTtl seconds a fetched key may be served from the key command's cache
 * @param maxRetry fail2ban's maxretry
 * @param expected the bundle's recipe and resolved maps, for the effective sshd configuration; null
 *     skips that control
 * @param loginUser the image's default login user (also tried with a password)
 * @param banTimeout how long after the first failure a ban may take (fail2ban's polling: ≈2–9 s)
 * @param existingUser where probes may not create IAM users (AWS): the local name of an existing
 *     IAM user in an authorized group ({@code <verify><iamUser>}), else null
 * @param existingKey that user's private key ({@code <verify><keyFile>}), else null
 * @param breakGlass the image's break-glass account and the CA key to issue certificates with, else
 *     null
 * @param lynisMinIndex the Lynis hardening index lynis-ssh requires at least, else null
 */
public record ProbeSettings(
    List<String> iamGroups,
    List<String> sudoGroups,
    int keyCacheTtl,
    int maxRetry,
    CheckInput expected,
    String loginUser,
    java.time.Duration banTimeout,
    String existingUser,
    Ssh.Key existingKey,
    BreakGlass breakGlass,
    Integer lynisMinIndex) {

  /**
   * The break-glass account the image was rendered with.
   *
   * @param user the account (and the certificate principal)
   * @param caFingerprint the image's CA ({@code SHA256:...})
   * @param sudo whether the account has sudo
   * @param caKey the CA's private key file ({@code <verify><breakGlassCaKey>}), or null
   */
  public record BreakGlass(
      String user, String caFingerprint, boolean sudo, java.nio.file.Path caKey) {}

  /** With the default ban timeout (40 s). */
  public ProbeSettings(
      List<String> iamGroups,
      List<String> sudoGroups,
      int keyCacheTtl,
      int maxRetry,
      CheckInput expected,
      String loginUser) {
    this(
        iamGroups,
        sudoGroups,
        keyCacheTtl,
        maxRetry,
        expected,
        loginUser,
        null,
        null,
        null,
        null,
        null);
  }

  /** The same settings with another ban timeout. */
  public ProbeSettings withBanTimeout(java.time.Duration d) {
    Copy c = new Copy(this);
    c.banTimeout = d;
    return c.build();
  }

  /** The same settings probing as an existing IAM user (AWS). */
  public ProbeSettings withExistingUser(String user, Ssh.Key key) {
    Copy c = new Copy(this);
    c.existingUser = user;
    c.existingKey = key;
    return c.build();
  }

  /** The same settings with the image's break-glass account. */
  public ProbeSettings withBreakGlass(BreakGlass b) {
    Copy c = new Copy(this);
    c.breakGlass = b;
    return c.build();
  }

  /**
   * The same settings with a minimum Lynis hardening index ({@code <verify><lynisMinIndex>}) that
   * lynis-ssh also requires of the candidate, or null for none.
   */
  public ProbeSettings withLynisMinIndex(Integer min) {
    Copy c = new Copy(this);
    c.lynisMinIndex = min;
    return c.build();
  }

  /** The optional fields, so that each change above names only what it changes. */
  private static final class Copy {
    private final ProbeSettings from;
    java.time.Duration banTimeout;
    String existingUser;
    Ssh.Key existingKey;
    BreakGlass breakGlass;
    Integer lynisMinIndex;

    Copy(ProbeSettings s) {
      from = s;
      banTimeout = s.banTimeout;
      existingUser = s.existingUser;
      existingKey = s.existingKey;
      breakGlass = s.breakGlass;
      lynisMinIndex = s.lynisMinIndex;
    }

    ProbeSettings build() {
      return new ProbeSettings(
          from.iamGroups,
          from.sudoGroups,
          from.keyCacheTtl,
          from.maxRetry,
          from.expected,
          from.loginUser,
          banTimeout,
          existingUser,
          existingKey,
          breakGlass,
          lynisMinIndex);
    }
  }

  public ProbeSettings {
    if (banTimeout == null) {
      banTimeout = java.time.Duration.ofSeconds(40);
    }
    iamGroups = List.copyOf(iamGroups);
    sudoGroups = List.copyOf(sudoGroups);
  }
}
