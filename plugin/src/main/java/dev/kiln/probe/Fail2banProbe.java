package dev.kiln.probe;

import static dev.kiln.probe.ProbeContext.USER;

import dev.kiln.probe.Prober.R;
import dev.kiln.probe.Ssh.Attempt;
import dev.kiln.probe.Ssh.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Optional;

/**
 * fail2ban bans a source after maxretry failures, in the firewall, and only that source. The one
 * control that uses the {@code attacker} source (never ignored by fail2ban).
 */
final class Fail2banProbe {
  private Fail2banProbe() {}

  static final ControlRegistry.Entry BAN =
      new ControlRegistry.Entry(
          "fail2ban-ban",
          "fail2ban bans a source after maxretry failures, and only that source",
          s ->
              "after "
                  + s.maxRetry()
                  + " failures the attacker's connections are refused and its address"
                  + " is in the nftables ruleset, while the user's source still logs in",
          Fail2banProbe::fail2ban);

  private static R fail2ban(ProbeContext c) throws Exception {
    if (c.existing()) {
      return R.skip(
          "needs two source addresses (one banned, one not) and a way to lift the ban: runs in the"
              + " sandbox; here the runner is in the trusted CIDRs that fail2ban ignores");
    }
    Target t = c.target();
    ProbeSettings cfg = c.settings();
    String attacker = t.sourceAddress("attacker");
    int port = t.port("attacker");
    t.unban(attacker);
    StringBuilder ev = new StringBuilder();
    long t0 = System.nanoTime();
    Ssh.Key wrong = Ssh.newKey("attacker");
    int tries = 0;
    for (int i = 0; i < cfg.maxRetry() + 1; i++) {
      Attempt a = Ssh.withKey(t.host(), port, USER, wrong);
      a.close();
      tries++;
      ev.append("attempt ")
          .append(i + 1)
          .append(" from ")
          .append(attacker)
          .append(": ")
          .append(a.kind())
          .append('\n');
      if (a.kind() == Kind.NO_CONNECTION) {
        break;
      }
    }
    long banAt = -1;
    String lastBanner = "";
    long wait = cfg.banTimeout().toMillis();
    // Polls until the attacker's connection no longer gets sshd's banner.
    while ((System.nanoTime() - t0) / 1_000_000 < wait) {
      lastBanner = banner(t.host(), port);
      if (!lastBanner.startsWith("SSH-")) {
        banAt = (System.nanoTime() - t0) / 1_000_000;
        break;
      }
      Retry.sleep(500);
    }
    ev.append("attacker connection after ")
        .append(tries)
        .append(" failures: ")
        .append(
            banAt < 0
                ? "still answered (" + lastBanner.strip() + ")"
                : "refused after " + banAt + " ms (" + lastBanner + ")")
        .append('\n');
    Optional<String> fw = t.firewall();
    // OpenSSH >= 9.8 refuses the attacker on its own (PerSourcePenalties), possibly before
    // fail2ban's ban lands: the refusal alone proves nothing, the ban must reach the firewall
    // within the same timeout.
    while (banAt >= 0
        && fw.isPresent()
        && !fw.get().contains(attacker)
        && (System.nanoTime() - t0) / 1_000_000 < wait) {
      Retry.sleep(500);
      fw = t.firewall();
    }
    boolean inFirewall = fw.map(s -> s.contains(attacker)).orElse(false);
    ev.append("nft list ruleset mentions ")
        .append(attacker)
        .append(": ")
        .append(inFirewall)
        .append(" (after ")
        .append((System.nanoTime() - t0) / 1_000_000)
        .append(" ms)\n");
    fw.ifPresent(
        s ->
            s.lines()
                .filter(l -> l.contains(attacker) || l.contains("f2b"))
                .limit(6)
                .forEach(l -> ev.append("  ").append(l.strip()).append('\n')));
    Attempt user = c.login("user", USER);
    user.close();
    ev.append("user source ")
        .append(t.sourceAddress("user"))
        .append(", ")
        .append(USER)
        .append(": ")
        .append(user.kind())
        .append('\n');
    t.rootExec("fail2ban-client status sshd 2>&1")
        .ifPresent(x -> ev.append(x[1].strip()).append('\n'));
    t.unban(attacker);
    if (banAt < 0) {
      return R.fail(
          "the attacker was not banned within " + wait / 1000 + " s of " + tries + " failures",
          ev.toString());
    }
    if (!inFirewall && fw.isPresent()) {
      return R.fail(
          "connections refused but the attacker's address is not in the firewall", ev.toString());
    }
    if (user.kind() != Kind.LOGGED_IN) {
      return R.fail("the ban blocked another source too: " + user.detail(), ev.toString());
    }
    return R.pass(
        "attacker banned "
            + banAt
            + " ms after the first failure (in nftables); the user source still logs in",
        ev.toString());
  }

  /** The first line the server sends on host:port, or the error. */
  static String banner(String host, int port) {
    try (Socket c = new Socket()) {
      c.connect(new InetSocketAddress(host, port), 2000);
      c.setSoTimeout(3000);
      InputStream in = c.getInputStream();
      StringBuilder b = new StringBuilder();
      int ch;
      while ((ch = in.read()) >= 0 && ch != '\n' && b.length() < 255) {
        b.append((char) ch);
      }
      return b.length() == 0 ? "closed before the banner" : b.toString();
    } catch (IOException e) {
      return e.toString();
    }
  }
}
