package dev.kiln.probe;

import static dev.kiln.probe.ProbeContext.ADMIN;
import static dev.kiln.probe.ProbeContext.ROOT;
import static dev.kiln.probe.ProbeContext.USER;

import dev.kiln.probe.Prober.R;
import dev.kiln.probe.Ssh.Attempt;
import dev.kiln.probe.Ssh.Kind;
import java.util.ArrayList;
import java.util.List;

/** Logins that must be refused: root by any means, anyone by password or keyboard-interactive. */
final class RefusalProbe {
  private RefusalProbe() {}

  static final ControlRegistry.Entry ROOT_LOGIN =
      new ControlRegistry.Entry(
          "root-login-refused",
          "Root cannot log in over SSH",
          "root is refused with a password and with a key uploaded to an IAM user named root",
          RefusalProbe::rootLogin);

  static final ControlRegistry.Entry PASSWORD_AUTH =
      new ControlRegistry.Entry(
          "password-auth-refused",
          "Password and keyboard-interactive authentication are refused",
          "every user is refused with password and keyboard-interactive",
          RefusalProbe::passwords);

  private static R rootLogin(ProbeContext c) throws Exception {
    Target t = c.target();
    int port = t.port("probe");
    StringBuilder ev = new StringBuilder();
    Attempt pw = c.negative(() -> Ssh.withPassword(t.host(), port, "root", "root"));
    ev.append("root, password: ").append(pw.kind()).append(" — ").append(pw.detail()).append('\n');
    pw.close();
    if (c.existing()) {
      String user = c.user();
      Attempt k = c.negative(() -> Ssh.withKey(t.host(), port, "root", c.key(user)));
      ev.append("root, key of ")
          .append(user)
          .append(": ")
          .append(k.kind())
          .append(" — ")
          .append(k.detail())
          .append('\n');
      k.close();
      return judgeRefused(
          List.of(pw, k),
          "root is refused with a password and with an IAM user's key (no IAM user 'root' is"
              + " created outside the sandbox)",
          ev);
    }
    Attempt key = c.negative(() -> Ssh.withKey(t.host(), port, "root", c.key(ROOT)));
    ev.append("root, key of IAM user 'root' (")
        .append(c.key(ROOT).fingerprint())
        .append("): ")
        .append(key.kind())
        .append(" — ")
        .append(key.detail())
        .append('\n');
    key.close();
    return judgeRefused(
        List.of(pw, key), "root is refused with a password and with an IAM key", ev);
  }

  private static R passwords(ProbeContext c) throws Exception {
    Target t = c.target();
    int port = t.port("probe");
    StringBuilder ev = new StringBuilder();
    List<Attempt> all = new ArrayList<>();
    List<String> users = new ArrayList<>(c.existing() ? List.of(c.user()) : List.of(USER, ADMIN));
    String loginUser = c.settings().loginUser();
    if (loginUser != null && !users.contains(loginUser)) {
      users.add(loginUser);
    }
    for (String u : users) {
      Attempt p = c.negative(() -> Ssh.withPassword(t.host(), port, u, "kiln-probe-password"));
      Attempt k =
          c.negative(() -> Ssh.withKeyboardInteractive(t.host(), port, u, "kiln-probe-password"));
      ev.append(u)
          .append(", password: ")
          .append(p.kind())
          .append(" — ")
          .append(p.detail())
          .append('\n');
      ev.append(u)
          .append(", keyboard-interactive: ")
          .append(k.kind())
          .append(" — ")
          .append(k.detail())
          .append('\n');
      p.close();
      k.close();
      all.add(p);
      all.add(k);
    }
    return judgeRefused(all, "password and keyboard-interactive refused for " + users, ev);
  }

  private static R judgeRefused(List<Attempt> attempts, String okText, StringBuilder ev) {
    if (attempts.stream().anyMatch(a -> a.kind() == Kind.LOGGED_IN)) {
      return R.fail("a login that must be refused SUCCEEDED", ev.toString());
    }
    if (attempts.stream().anyMatch(a -> a.kind() == Kind.NO_CONNECTION)) {
      return R.fail("inconclusive: an attempt never reached authentication", ev.toString());
    }
    return R.pass(okText, ev.toString());
  }
}
