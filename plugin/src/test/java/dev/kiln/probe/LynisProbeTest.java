package dev.kiln.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.probe.Control.Outcome;
import dev.kiln.sandbox.LynisRun;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** lynis-ssh's verdict on Lynis report files (the real runs are in LynisCandidateTest). */
class LynisProbeTest {

  static String output(int index, String... lines) {
    return "lynis-exit=0\n"
        + LynisRun.REPORT_MARK
        + "\n# Lynis Report\n"
        + String.join("\n", lines)
        + "\nhardening_index="
        + index
        + "\ntests_executed=SSH-7440|SSH-7408|SSH-7406|SSH-7404|SSH-7402|CORE-1000|\n"
        + LynisRun.OUTPUT_MARK
        + "\n[ Lynis 3.0.8 ]\n";
  }

  static final String BASE =
      output(
          56,
          "suggestion[]=SSH-7408|Consider hardening SSH configuration|MaxAuthTries (set 6 to 3)|-|",
          "suggestion[]=SSH-7408|Consider hardening SSH configuration|Port (set 22 to )|-|");

  @Test
  void allowedSuggestionsPassAndBothIndexesAreFigures() {
    Prober.R r =
        LynisProbe.evaluate(
            LynisReport.parse(
                output(
                    93,
                    "suggestion[]=LYNIS|This release is more than 4 months old.|-|-|",
                    "suggestion[]=SSH-7408|Consider hardening SSH configuration|Port (set 22 to"
                        + " )|-|")),
            Optional.of(LynisReport.parse(BASE)),
            "",
            null);
    assertThat(r.outcome()).as(r.observed()).isEqualTo(Outcome.PASS);
    assertThat(r.observed()).contains("hardening index 93 (unhardened base: 56)");
    assertThat(r.figures())
        .containsExactly(
            java.util.Map.entry("Lynis SSH hardening index, candidate", "93"),
            java.util.Map.entry("unhardened base", "56"));
    assertThat(r.evidence()).contains("allowed suggestion SSH-7408").contains("Port");
  }

  @Test
  void aSuggestionKilnShouldHaveFollowedFails() {
    Prober.R r =
        LynisProbe.evaluate(
            LynisReport.parse(
                output(
                    80,
                    "suggestion[]=SSH-7408|Consider hardening SSH configuration|MaxAuthTries (set 6"
                        + " to 3)|-|")),
            Optional.empty(),
            "",
            null);
    assertThat(r.outcome()).isEqualTo(Outcome.FAIL);
    assertThat(r.observed()).contains("MaxAuthTries (set 6 to 3)");
    assertThat(r.figures()).containsEntry("unhardened base", "not measured");
  }

  @Test
  void anSshWarningFailsEvenOnAnAllowedKeyword() {
    Prober.R r =
        LynisProbe.evaluate(
            LynisReport.parse(
                output(90, "warning[]=SSH-7412|Root can log in|Port (set 22 to )|-|")),
            Optional.empty(),
            "",
            null);
    assertThat(r.outcome()).isEqualTo(Outcome.FAIL);
  }

  @Test
  void anIndexBelowTheMinimumFails() {
    Prober.R r = LynisProbe.evaluate(LynisReport.parse(output(70)), Optional.empty(), "", 71);
    assertThat(r.outcome()).isEqualTo(Outcome.FAIL);
    assertThat(r.observed()).contains("below verify.lynisMinIndex 71");
    assertThat(
            LynisProbe.evaluate(LynisReport.parse(output(71)), Optional.empty(), "", 71).outcome())
        .isEqualTo(Outcome.PASS);
  }

  @Test
  void aRunThatDidNotCheckSshdOptionsFails() {
    String noSshd = output(40).replace("SSH-7408|", "").replace("lynis-exit=0", "lynis-exit=0");
    assertThat(
            LynisProbe.evaluate(LynisReport.parse(noSshd), Optional.empty(), "", null).observed())
        .contains("SSH-7408 not run");
    String crashed =
        "lynis-exit=1\n" + LynisRun.REPORT_MARK + "\n" + LynisRun.OUTPUT_MARK + "\nFatal";
    Prober.R r = LynisProbe.evaluate(LynisReport.parse(crashed), Optional.empty(), "", null);
    assertThat(r.outcome()).isEqualTo(Outcome.FAIL);
    assertThat(r.observed()).contains("exit 1");
  }
}
