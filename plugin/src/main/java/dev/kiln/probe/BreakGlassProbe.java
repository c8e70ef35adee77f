package dev.kiln.probe;

import dev.kiln.check.LiveView;
import dev.kiln.probe.Prober.R;
import dev.kiln.probe.Ssh.Attempt;
import dev.kiln.probe.Ssh.Kind;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.SshPublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Control {@code break-glass-login}: while IAM is unreachable from the candidate, the break-glass
 * account logs in with a fresh certificate of the image's CA, and is refused with an expired one,
 * one for another principal, one from another CA, and the bare key; the CA's certificate does not
 * open any other account; an IAM user whose keys were never cached is refused; and sshd logged the
 * certificate login with its key id and serial.
 */
final class BreakGlassProbe {
  static final String ID = "break-glass-login";
  static final String TITLE =
      "The break-glass account logs in by SSH certificate while IAM is down";
  static final String EXPECTED =
      "during an IAM outage: a fresh certificate logs in (logged with key id and serial); an expired"
          + " one, one for another principal, one from another CA, the bare key, the certificate"
          + " used for another account and an IAM user with uncached keys are refused";

  /** An IAM test user that never logs in before the outage, so its keys are never cached. */
  static final String UNCACHED = "kiln-probe-uncached";

  static final ControlRegistry.Entry ENTRY =
      new ControlRegistry.Entry(
          ID, TITLE, EXPECTED, c -> new BreakGlassProbe(c, c.settings().breakGlass()).run());

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Target t;
  private final ProbeSettings.BreakGlass bg;
  private final ProbeContext h;

  BreakGlassProbe(ProbeContext context, ProbeSettings.BreakGlass bg) {
    this.t = context.target();
    this.bg = bg;
    this.h = context;
  }

  R run() throws Exception {
    if (bg == null) {
      return R.skip("the image has no break-glass account (<access><breakGlass> is not set)");
    }
    if (bg.caKey() == null) {
      return R.skip(
          "issuing certificates needs the CA's private key: <verify><breakGlassCaKey>"
              + " (-Dkiln.verify.breakGlassCaKey)");
    }
    try (CertificateIssuer ca = CertificateIssuer.of(bg.caKey());
        CertificateIssuer other = CertificateIssuer.throwaway()) {
      SshPublicKey caPub = ca.caPublicKey();
      if (!caPub.fingerprint().equals(bg.caFingerprint())) {
        return R.fail(
            "<verify><breakGlassCaKey> is not the image's CA: its key is "
                + caPub.fingerprint()
                + ", the image trusts "
                + bg.caFingerprint(),
            "");
      }
      return probe(ca, other);
    }
  }

  private R probe(CertificateIssuer ca, CertificateIssuer other) throws Exception {
    StringBuilder ev = new StringBuilder();
    Ssh.Key key = Ssh.newKey(bg.user() + "@kiln-verify");
    long serial = 1 + (RANDOM.nextLong() & 0x7fff_ffffL);
    String keyId = "kiln-verify-" + Long.toHexString(RANDOM.nextLong() & 0xffff_ffffL);
    String fresh = ca.sign(key.publicLine(), keyId, bg.user(), "-5m:+10m", serial);
    Map<String, String> refusedCerts = new LinkedHashMap<>();
    refusedCerts.put(
        "expired", ca.sign(key.publicLine(), keyId + "-expired", bg.user(), "-2h:-1h", serial + 1));
    refusedCerts.put(
        "another principal (root, " + h.user() + ")",
        ca.sign(
            key.publicLine(), keyId + "-principal", "root," + h.user(), "-5m:+10m", serial + 2));
    refusedCerts.put(
        "another CA",
        other.sign(key.publicLine(), keyId + "-other-ca", bg.user(), "-5m:+10m", serial + 3));

    // A certificate naming the account it logs in as: accepted wherever the CA is trusted without
    // a principals file, i.e. whenever the CA is trusted for that account.
    Map<String, String> ownPrincipal = new LinkedHashMap<>();
    long n = serial + 4;
    for (String u : otherAccounts()) {
      ownPrincipal.put(u, ca.sign(key.publicLine(), keyId + "-own-" + n, u, "-5m:+10m", n++));
    }

    Ssh.Key uncachedKey = null;
    if (t.createsIamUsers()) {
      uncachedKey = uncachedUser();
      ev.append("IAM user ").append(UNCACHED).append(" created and synced, never logged in\n");
    }
    List<String> wrong = new ArrayList<>();
    noCaForOtherAccounts(ev, wrong);
    boolean cut = t.setIamReachable(false);
    ev.append(cut ? "IAM outage: the candidate's link to IAM is down\n" : "");
    String session;
    try {
      Attempt in = freshLogin(key, fresh, ev);
      try {
        ev.append("fresh certificate (id ")
            .append(keyId)
            .append(", serial ")
            .append(serial)
            .append("): ")
            .append(in.kind())
            .append(" — ")
            .append(in.detail())
            .append('\n');
        if (in.kind() != Kind.LOGGED_IN) {
          wrong.add("the fresh certificate was not accepted");
          session = "";
        } else {
          Ssh.Exec e = Ssh.run(in.session(), "id -un; " + (bg.sudo() ? "sudo -n id -un" : "true"));
          session = e.all();
          ev.append("  id -un").append(bg.sudo() ? "; sudo -n id -un" : "").append(" → ");
          ev.append(session.replace('\n', ' ')).append('\n');
          List<String> lines = session.lines().toList();
          if (lines.isEmpty() || !lines.get(0).equals(bg.user())) {
            wrong.add("the session is not " + bg.user());
          }
          if (bg.sudo() && (lines.size() < 2 || !lines.get(1).equals("root"))) {
            wrong.add(bg.user() + " has no sudo although <sudo> is on");
          }
        }
      } finally {
        in.close();
      }
      int port = t.port("probe");
      for (Map.Entry<String, String> c : refusedCerts.entrySet()) {
        refused(
            c.getKey() + " certificate",
            () -> Ssh.withCertificate(t.host(), port, bg.user(), key, c.getValue()),
            ev,
            wrong);
      }
      refused("the bare key", () -> Ssh.withKey(t.host(), port, bg.user(), key), ev, wrong);
      refused(
          "the fresh certificate as " + h.user(),
          () -> Ssh.withCertificate(t.host(), port, h.user(), key, fresh),
          ev,
          wrong);
      for (Map.Entry<String, String> c : ownPrincipal.entrySet()) {
        refused(
            "a certificate for principal " + c.getKey() + " as " + c.getKey(),
            () -> Ssh.withCertificate(t.host(), port, c.getKey(), key, c.getValue()),
            ev,
            wrong);
      }
      refused(
          "the fresh certificate as root",
          () -> Ssh.withCertificate(t.host(), port, "root", key, fresh),
          ev,
          wrong);
      if (uncachedKey != null) {
        Ssh.Key k = uncachedKey;
        refused(
            "IAM user " + UNCACHED + " (keys never cached)",
            () -> Ssh.withKey(t.host(), port, UNCACHED, k),
            ev,
            wrong);
      }
    } finally {
      if (cut) {
        t.setIamReachable(true);
        ev.append("IAM reachable again\n");
      }
    }
    loggedWithIdAndSerial(keyId, serial, ev, wrong);
    if (!wrong.isEmpty()) {
      return R.fail(String.join("; ", wrong), ev.toString());
    }
    return R.pass(
        (cut ? "with IAM unreachable, " : "IAM could not be cut here; ")
            + bg.user()
            + " logged in with a fresh certificate"
            + (bg.sudo() ? " (sudo works)" : "")
            + "; expired, other-principal, other-CA certificates, the bare key, the certificate for"
            + " other accounts and certificates naming them"
            + (uncachedKey != null ? " and the uncached IAM user" : "")
            + " were refused; no other account trusts a CA (sshd -T); sshd logged key id and serial",
        ev.toString());
  }

  /**
   * Accounts other than the break-glass one that must not accept the CA: the IAM user that logs in
   * normally, root, and the image's login user.
   */
  private List<String> otherAccounts() {
    List<String> users = new ArrayList<>(List.of(h.user(), "root"));
    String login = h.settings().loginUser();
    if (login != null && !users.contains(login) && !login.equals(bg.user())) {
      users.add(login);
    }
    return users;
  }

  /**
   * For every other account, {@code sshd -T -C user=...} must say {@code trustedusercakeys none}.
   * The certificate logins alone cannot show it: where a CA is trusted for every account but the
   * same Match block keeps {@code AuthorizedPrincipalsFile none}, sshd reads that "none" as the
   * file {@code ~/none} (OpenSSH 9.2, inside a Match block), finds no principal and refuses the
   * certificate — until someone writes that file.
   */
  private void noCaForOtherAccounts(StringBuilder ev, List<String> wrong) throws Exception {
    if (!h.hasRootShell()) {
      ev.append("sshd -T: not readable here (no root shell, no sudo)\n");
      return;
    }
    for (String u : otherAccounts()) {
      String conn = "user=" + u + ",host=probe.example,addr=" + h.matchAddress();
      String[] r = h.rootShell(LiveView.sshdT("/usr/sbin/sshd", conn, List.of()));
      if (!"0".equals(r[0])) {
        wrong.add("sshd -T -C " + conn + " failed (exit " + r[0] + ")");
        ev.append(r[1].strip()).append('\n');
        continue;
      }
      String ca = trustedUserCaKeys(r[1]);
      ev.append("sshd -T -C user=").append(u).append(": trustedusercakeys ").append(ca);
      ev.append('\n');
      if (!ca.equals("none")) {
        wrong.add("a CA is trusted for " + u + " (trustedusercakeys " + ca + ")");
      }
    }
  }

  /** The {@code trustedusercakeys} value(s) of {@code sshd -T} output, or "(not printed)". */
  static String trustedUserCaKeys(String sshdT) {
    List<String> v =
        sshdT
            .lines()
            .map(String::strip)
            .filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith("trustedusercakeys "))
            .map(l -> l.substring("trustedusercakeys ".length()).strip())
            .toList();
    return v.isEmpty() ? "(not printed)" : String.join(" | ", v);
  }

  private void refused(String what, Supplier<Attempt> a, StringBuilder ev, List<String> wrong)
      throws KilnException {
    Attempt x = h.negative(a);
    x.close();
    ev.append(what).append(": ").append(x.kind()).append(" — ").append(x.detail()).append('\n');
    if (x.kind() == Kind.LOGGED_IN) {
      wrong.add(what + " LOGGED IN");
    } else if (x.kind() == Kind.NO_CONNECTION) {
      wrong.add("inconclusive: " + what + " never reached authentication");
    }
  }

  /** An IAM user in the login group with one key, synced to the candidate, never logged in. */
  private Ssh.Key uncachedUser() throws KilnException {
    var iam = t.iam();
    try {
      iam.getUser(r -> r.userName(UNCACHED));
      for (var k : iam.listSSHPublicKeys(r -> r.userName(UNCACHED)).sshPublicKeys()) {
        iam.deleteSSHPublicKey(r -> r.userName(UNCACHED).sshPublicKeyId(k.sshPublicKeyId()));
      }
    } catch (software.amazon.awssdk.services.iam.model.NoSuchEntityException e) {
      iam.createUser(r -> r.userName(UNCACHED));
    }
    if (h.loginGroup() != null) {
      iam.addUserToGroup(r -> r.userName(UNCACHED).groupName(h.loginGroup()));
    }
    Ssh.Key k = Ssh.newKey(UNCACHED + "@kiln-probe");
    iam.uploadSSHPublicKey(r -> r.userName(UNCACHED).sshPublicKeyBody(k.publicLine()));
    h.sync();
    return k;
  }

  /**
   * sshd at LogLevel VERBOSE logs {@code Accepted certificate ID "<id>" (serial <n>) signed by ...
   * CA} and {@code Accepted publickey for <user> ... ID <id> (serial <n>) CA ...}.
   */
  private void loggedWithIdAndSerial(
      String keyId, long serial, StringBuilder ev, List<String> wrong) throws KilnException {
    Optional<String[]> log =
        t.rootExec(
            "grep -h -F -e 'ID \""
                + keyId
                + "\" (serial "
                + serial
                + ")' -e 'ID "
                + keyId
                + " (serial "
                + serial
                + ")' /var/log/sshd.log /var/log/auth.log 2>/dev/null;"
                + " command -v journalctl >/dev/null 2>&1 && journalctl -q --no-pager -o cat"
                + " --since=-15min 2>/dev/null | grep -F '"
                + keyId
                + "'; true");
    if (log.isEmpty()) {
      ev.append("sshd log: not readable from here (no root shell on this target)\n");
      return;
    }
    String lines = log.get()[1].strip();
    ev.append("sshd log:\n").append(lines.isEmpty() ? "  (no line)" : lines.indent(2));
    boolean certificate =
        lines.contains("Accepted certificate ID \"" + keyId + "\" (serial " + serial + ")");
    boolean accepted =
        lines
            .lines()
            .anyMatch(
                l ->
                    l.contains("Accepted publickey for " + bg.user())
                        && l.contains("ID " + keyId + " (serial " + serial + ")"));
    if (!certificate || !accepted) {
      wrong.add(
          "sshd did not log the certificate login with key id " + keyId + " and serial " + serial);
    }
  }

  /**
   * The fresh certificate's login from the user source. A connection that never reached sshd
   * (closed before the SSH conversation: a leftover fail2ban ban of that source, or sshd's
   * MaxStartups dropping while the attacker's connections of fail2ban-ban drain) is not a refusal:
   * the source is unbanned and the login tried again, at most five times.
   */
  private Attempt freshLogin(Ssh.Key key, String cert, StringBuilder ev) throws KilnException {
    int port = t.port("user");
    String source = t.sourceAddress("user");
    return Retry.untilConnected(
        5,
        1000,
        () -> Ssh.withCertificate(t.host(), port, bg.user(), key, cert),
        a -> {
          a.close();
          ev.append("fresh certificate: no SSH conversation (")
              .append(a.detail())
              .append("), again\n");
          t.unban(source);
        });
  }
}
