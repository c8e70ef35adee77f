package dev.kiln.probe;

import dev.kiln.probe.Prober.R;
import java.util.List;
import java.util.Optional;

/** ssh-audit's opinion of the candidate's algorithms and keys: no {@code [fail]} line. */
final class SshAuditProbe {
  private SshAuditProbe() {}

  static final ControlRegistry.Entry AUDIT =
      new ControlRegistry.Entry(
          "ssh-audit",
          "ssh-audit reports no failure",
          "no [fail] line in ssh-audit's report of the candidate",
          SshAuditProbe::sshAudit);

  private static R sshAudit(ProbeContext c) throws Exception {
    Target t = c.target();
    Optional<String[]> r = t.sshAudit();
    if (r.isEmpty()) {
      return R.skip("ssh-audit is not installed (apt-get install ssh-audit)");
    }
    t.unban(t.sourceAddress("user"));
    int exit = Integer.parseInt(r.get()[0]);
    String o = r.get()[1];
    List<String> fails = o.lines().filter(l -> l.contains("[fail]")).toList();
    if (exit == 1) {
      return R.fail("ssh-audit could not connect (exit 1)", o);
    }
    if (!fails.isEmpty()) {
      return R.fail(fails.size() + " [fail] finding(s), first: " + fails.get(0).strip(), o);
    }
    return R.pass("no [fail] (exit " + exit + (exit == 2 ? ", warnings only" : "") + ")", o);
  }
}
