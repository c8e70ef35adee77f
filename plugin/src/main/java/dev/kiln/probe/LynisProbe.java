package dev.kiln.probe;

import dev.kiln.probe.Prober.R;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Lynis' opinion of the candidate's SSH service (its SSH test group: SSH-7402 … SSH-7440, run
 * inside the candidate by {@code sandbox.LynisRun}): no SSH warning, and no SSH suggestion except
 * the ones Kiln deliberately does not follow ({@link #ALLOWED}); with {@code verify.lynisMinIndex},
 * at least that hardening index. The index of the candidate and of its unhardened base go to the
 * report as figures.
 */
final class LynisProbe {
  private LynisProbe() {}

  static final String ID = "lynis-ssh";

  /**
   * SSH-7408 suggestions Kiln does not follow, by sshd keyword, with the reason (shown in the
   * evidence). Everything else Lynis suggests for sshd fails the control.
   */
  static final Map<String, String> ALLOWED =
      Map.of(
          "Port",
          "Kiln keeps port 22: who may connect is decided by the trusted CIDRs, IAM and fail2ban; a"
              + " moved port only hides the service from scanners (not a CIS item)",
          "ClientAliveCountMax",
          "Kiln sets 3, the value the CIS Benchmark states; Lynis prefers 2",
          "MaxSessions",
          "Kiln sets at most 10 as the CIS Benchmark states (multiplexed sessions of one login);"
              + " Lynis prefers 2");

  static final ControlRegistry.Entry ENTRY =
      new ControlRegistry.Entry(
          ID,
          "Lynis finds nothing to harden in SSH",
          s ->
              "no SSH warning and no SSH suggestion from Lynis' SSH tests, except the documented"
                  + " allow-list ("
                  + String.join(", ", ALLOWED.keySet().stream().sorted().toList())
                  + ")"
                  + (s.lynisMinIndex() == null
                      ? ""
                      : "; hardening index at least " + s.lynisMinIndex()),
          LynisProbe::run);

  private static R run(ProbeContext c) throws Exception {
    Optional<String> out = c.target().lynis();
    if (out.isEmpty()) {
      return R.skip(
          "Lynis runs only against sandbox candidates (it is not baked into images and Kiln does"
              + " not install software on a real instance); install it with apt-get install lynis"
              + " for the sandbox");
    }
    Optional<String> baseOut;
    String baseNote = "";
    try {
      baseOut = c.target().lynisBase();
    } catch (Exception e) {
      baseOut = Optional.empty();
      baseNote = e.getMessage();
    }
    return evaluate(
        LynisReport.parse(out.get()),
        baseOut.map(LynisReport::parse),
        baseNote,
        c.settings().lynisMinIndex());
  }

  /** The control's verdict on a candidate's report (and its base's, for the figures). */
  static R evaluate(
      LynisReport cand, Optional<LynisReport> base, String baseNote, Integer minIndex) {
    Map<String, String> figures = new LinkedHashMap<>();
    figures.put(
        "Lynis SSH hardening index, candidate",
        cand.hardeningIndex() >= 0 ? Integer.toString(cand.hardeningIndex()) : "none");
    String baseFigure;
    if (base.isPresent() && base.get().complete()) {
      baseFigure = Integer.toString(base.get().hardeningIndex());
    } else {
      baseFigure = "not measured" + (baseNote.isEmpty() ? "" : ": " + baseNote);
    }
    figures.put("unhardened base", baseFigure);
    if (!cand.complete()) {
      return R.fail(
              cand.exit() != 0
                  ? "Lynis did not complete (exit " + cand.exit() + ")"
                  : "Lynis did not check sshd's options (SSH-7408 not run: sshd not found running)",
              cand.output())
          .with(figures);
    }
    StringBuilder ev = new StringBuilder();
    List<LynisReport.Finding> bad =
        cand.ssh().stream()
            .filter(f -> f.kind().equals("warning") || !ALLOWED.containsKey(f.option()))
            .toList();
    for (LynisReport.Finding f : cand.ssh()) {
      String why = f.kind().equals("suggestion") ? ALLOWED.get(f.option()) : null;
      ev.append(why == null ? "FAIL    " : "allowed ")
          .append(f.describe())
          .append(why == null ? "" : " (" + why + ")")
          .append('\n');
    }
    base.ifPresent(
        b ->
            ev.append("\nunhardened base: ")
                .append(b.ssh().size())
                .append(" SSH finding(s)\n")
                .append(
                    String.join("\n", b.ssh().stream().map(LynisReport.Finding::describe).toList()))
                .append('\n'));
    ev.append("\nSSH tests run: ").append(String.join(" ", cand.testsExecuted())).append('\n');
    String index =
        "hardening index " + cand.hardeningIndex() + " (unhardened base: " + baseFigure + ")";
    if (!bad.isEmpty()) {
      return R.fail(
              bad.size() + " SSH finding(s), first: " + bad.get(0).describe() + "; " + index,
              ev.toString())
          .with(figures);
    }
    if (minIndex != null && cand.hardeningIndex() < minIndex) {
      return R.fail(index + " is below verify.lynisMinIndex " + minIndex, ev.toString())
          .with(figures);
    }
    long allowed = cand.ssh().size();
    return R.pass(
            "no SSH finding"
                + (allowed > 0 ? " beyond " + allowed + " allowed suggestion(s)" : "")
                + "; "
                + index,
            ev.toString())
        .with(figures);
  }
}
