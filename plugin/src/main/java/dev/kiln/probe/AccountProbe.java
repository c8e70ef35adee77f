package dev.kiln.probe;

import static dev.kiln.probe.ProbeContext.ADMIN;
import static dev.kiln.probe.ProbeContext.USER;

import dev.kiln.probe.Prober.R;
import dev.kiln.probe.Ssh.Attempt;
import dev.kiln.probe.Ssh.Kind;

/** Local accounts: sudo only for the sudo group, root's password locked, passwd/shadow clean. */
final class AccountProbe {
  private AccountProbe() {}

  static final ControlRegistry.Entry SUDO_GROUP_ONLY =
      new ControlRegistry.Entry(
          "sudo-group-only",
          "sudo works for the sudo group and only for it",
          ADMIN + " (sudo group) runs sudo -n; " + USER + " (not in a sudo group) is refused",
          AccountProbe::sudo);

  static final ControlRegistry.Entry ROOT_PASSWORD_LOCKED =
      new ControlRegistry.Entry(
          "root-password-locked",
          "Root's shadow field is locked and pwck -r is clean",
          "root's password field is '*' or starts with '!', passwd -S shows L, pwck -r and grpck -r"
              + " exit 0",
          AccountProbe::shadow);

  private static R sudo(ProbeContext c) throws Exception {
    if (c.existing()) {
      Ssh.Exec e = c.asAdmin("sudo -n true");
      return R.skip(
          "with one existing user only its own sudo can be seen (sudo -n true: exit "
              + e.exit()
              + "); 'only the sudo group' needs the sandbox's test users");
    }
    String sudoGroup = c.sudoGroup();
    if (sudoGroup == null) {
      return R.skip("no <access><sudoGroups> among the authorized groups: nothing to test");
    }
    StringBuilder ev = new StringBuilder();
    Attempt a = c.login("user", ADMIN);
    try {
      if (a.kind() != Kind.LOGGED_IN) {
        return R.fail(ADMIN + " could not log in: " + a.detail(), "");
      }
      Ssh.Exec e = Ssh.run(a.session(), "sudo -n true");
      ev.append(ADMIN)
          .append(": sudo -n true → exit ")
          .append(e.exit())
          .append(' ')
          .append(e.all())
          .append('\n');
      if (e.exit() != 0) {
        return R.fail(ADMIN + " (in " + sudoGroup + ") cannot use sudo", ev.toString());
      }
    } finally {
      a.close();
    }
    String nonSudoGroup = c.nonSudoGroup();
    if (nonSudoGroup == null) {
      return R.pass(
          ADMIN + " uses sudo; no authorized group without sudo to test the refusal",
          ev.toString());
    }
    Attempt b = c.login("user", USER);
    try {
      if (b.kind() != Kind.LOGGED_IN) {
        return R.fail(USER + " could not log in: " + b.detail(), ev.toString());
      }
      Ssh.Exec e = Ssh.run(b.session(), "sudo -n true");
      ev.append(USER).append(": sudo -n true → exit ").append(e.exit()).append(' ').append(e.all());
      if (e.exit() == 0) {
        return R.fail(
            USER + " (in " + nonSudoGroup + ", not a sudo group) can use sudo", ev.toString());
      }
      return R.pass(ADMIN + " uses sudo, " + USER + " is refused", ev.toString());
    } finally {
      b.close();
    }
  }

  private static R shadow(ProbeContext c) throws Exception {
    if (!c.existing() && c.sudoGroup() == null) {
      return R.skip("needs a sudo group to read /etc/shadow");
    }
    if (c.existing() && c.asAdmin("sudo -n true").exit() != 0) {
      return R.skip("the configured IAM user has no sudo: cannot read /etc/shadow");
    }
    Ssh.Exec e =
        c.asAdmin(
            "sudo -n awk -F: '$1==\"root\"{print ($2==\"*\" || substr($2,1,1)==\"!\") ? \"root-field=locked\""
                + " : \"root-field=UNLOCKED\"}' /etc/shadow; sudo -n passwd -S root;"
                + " sudo -n pwck -r -q; echo pwck=$?; sudo -n grpck -r; echo grpck=$?");
    String o = e.all();
    boolean locked = o.contains("root-field=locked");
    boolean statusL = o.lines().anyMatch(l -> l.startsWith("root L"));
    boolean pwck = o.contains("pwck=0");
    boolean grpck = o.contains("grpck=0");
    String observed =
        "root field "
            + (locked ? "locked" : "NOT locked")
            + ", passwd -S "
            + (statusL ? "L" : "not L")
            + ", pwck "
            + (pwck ? "clean" : "NOT clean")
            + ", grpck "
            + (grpck ? "clean" : "NOT clean");
    return locked && statusL && pwck && grpck ? R.pass(observed, o) : R.fail(observed, o);
  }
}
