package dev.kiln.probe;

import static dev.kiln.probe.ProbeContext.ROOT;

import dev.kiln.check.EffectiveSshd;
import dev.kiln.check.Finding;
import dev.kiln.probe.Prober.R;
import java.util.ArrayList;
import java.util.List;

/**
 * sshd's configuration on the candidate: the effective values ({@code sshd -T}) meet
 * docs/hardening.md, and the running daemon's command line changes none of them ({@link
 * LiveViewProbe}).
 */
final class SshdConfigProbe {
  private SshdConfigProbe() {}

  static final ControlRegistry.Entry EFFECTIVE =
      new ControlRegistry.Entry(
          "sshd-effective-config",
          "The effective sshd configuration (sshd -T) meets hardening.md",
          "sshd -t exits 0 and every sshd control of hardening.md holds in sshd -T",
          SshdConfigProbe::effective);

  static final ControlRegistry.Entry LIVE_VIEW =
      new ControlRegistry.Entry(
          LiveViewProbe.ID, LiveViewProbe.TITLE, LiveViewProbe.EXPECTED, SshdConfigProbe::liveView);

  /** The keywords the evidence shows of sshd -T. */
  private static final List<String> SUMMARY =
      List.of(
          "permitrootlogin",
          "passwordauthentication",
          "kbdinteractiveauthentication",
          "authenticationmethods",
          "pubkeyauthentication",
          "authorizedkeyscommand",
          "kexalgorithms",
          "ciphers",
          "macs",
          "maxauthtries",
          "allowgroups",
          "loglevel",
          "usepam");

  private static R effective(ProbeContext c) throws Exception {
    if (!c.existing() && c.sudoGroup() == null) {
      return R.skip("needs a sudo group to read sshd -T");
    }
    if (c.existing() && c.asAdmin("sudo -n true").exit() != 0) {
      return R.skip("the configured IAM user has no sudo: cannot read sshd -T");
    }
    Ssh.Exec test = c.asAdmin("sudo -n /usr/sbin/sshd -t");
    if (test.exit() != 0) {
      return R.fail("sshd -t rejects the configuration (exit " + test.exit() + ")", test.all());
    }
    Ssh.Exec eff =
        c.asAdmin(
            "sudo -n /usr/sbin/sshd -T -C user="
                + c.user()
                + ",host=probe.example,addr="
                + c.matchAddress());
    if (eff.exit() != 0) {
      return R.fail("sshd -T failed (exit " + eff.exit() + ")", eff.all());
    }
    if (c.settings().expected() == null) {
      return R.skip("no rendered bundle to compare with");
    }
    List<Finding> findings = EffectiveSshd.check(c.settings().expected(), eff.out());
    String summary = summary(eff.out());
    if (findings.isEmpty()) {
      return R.pass("every sshd control holds", summary);
    }
    StringBuilder b = new StringBuilder();
    for (Finding f : findings) {
      b.append(f.describe()).append('\n');
    }
    String first = findings.get(0).check().replace("sshd.", "");
    return R.fail(
        findings.size()
            + " sshd control(s) violated, first: "
            + first
            + " — "
            + findings.get(0).message(),
        b + "\n" + summary);
  }

  private static R liveView(ProbeContext c) throws Exception {
    Target t = c.target();
    if (!c.existing() && c.sudoGroup() == null && t.rootExec("true").isEmpty()) {
      return R.skip("needs a root shell to read sshd's command line");
    }
    List<String> users = new ArrayList<>(List.of(c.user()));
    if (c.settings().breakGlass() != null) {
      users.add(c.settings().breakGlass().user());
    }
    users.add(ROOT);
    return new LiveViewProbe(c::rootShell, c.settings().expected(), users, c.matchAddress()).run();
  }

  private static String summary(String sshdT) {
    StringBuilder b = new StringBuilder();
    for (String l : sshdT.split("\n")) {
      if (SUMMARY.contains(l.split(" ", 2)[0])) {
        b.append(l).append('\n');
      }
    }
    return b.toString();
  }
}
