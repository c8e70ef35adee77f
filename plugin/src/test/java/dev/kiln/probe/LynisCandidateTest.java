package dev.kiln.probe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.launch.LaunchRequest;
import dev.kiln.launch.Launcher;
import dev.kiln.sandbox.CandidateCleanup;
import dev.kiln.sandbox.CandidateState;
import dev.kiln.sandbox.LynisRun;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.KilnSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lynis-ssh for real: the host's Lynis audits a real sandbox candidate of debian-12 (passes, with
 * the candidate's and the unhardened base's hardening index as figures), then the same candidate
 * with weak sshd settings planted in Kiln's drop-in and sshd reloaded (fails, naming them).
 */
class LynisCandidateTest {
  @TempDir static Path tmp;
  static Path out;
  static KilnSpec spec;
  static String ami;

  @BeforeAll
  static void bake() throws Exception {
    SandboxPipelineTest.assumeSandbox();
    Assumptions.assumeTrue(LynisRun.installed(), "lynis is not installed (apt-get install lynis)");
    out = tmp.resolve("target/kiln");
    spec = KilnSpec.parse(SandboxPipelineTest.config(out, null), tmp);
    ami = SandboxPipelineTest.bake(spec);
  }

  @AfterAll
  static void cleanUp() throws Exception {
    if (out != null) {
      Launcher.terminate(out, s -> {});
    }
  }

  private static Control lynis(SandboxTarget t, Prober.Hook hook) throws Exception {
    ProbeSettings settings =
        Verifier.settings(spec, out, "debian-12", SandboxPipelineTest.breakGlassCa());
    List<Control> r = new Prober(t, settings, System.out::println).run(Set.of(LynisProbe.ID), hook);
    assertThat(r).extracting(Control::id).containsExactly(LynisProbe.ID);
    System.out.println(r.get(0).evidence());
    return r.get(0);
  }

  @Test
  void lynisPassesTheCandidateAndFailsItOncePlantedWeakSettings() throws Exception {
    new Launcher()
        .launch(LaunchRequest.sandbox(out, ami, SandboxSettings.defaultCacheDir()), s -> {});
    CandidateState state = SandboxPipelineTest.stateOf(out);
    try (SandboxTarget t = new SandboxTarget(state, SandboxSettings.defaultCacheDir())) {
      Control good = lynis(t, null);
      assertThat(good.outcome()).as(good.observed()).isEqualTo(Control.Outcome.PASS);
      assertThat(good.figures()).containsKeys("Lynis SSH hardening index, candidate");
      int cand = Integer.parseInt(good.figures().get("Lynis SSH hardening index, candidate"));
      int base = Integer.parseInt(good.figures().get("unhardened base"));
      assertThat(cand).as("candidate's index above the unhardened base's").isGreaterThan(base);

      Control bad =
          lynis(
              t,
              target -> {
                String[] r =
                    target
                        .rootExec(
                            "sed -i -e 's/^MaxAuthTries .*/MaxAuthTries 6/'"
                                + " -e 's/^X11Forwarding .*/X11Forwarding yes/' "
                                + FaultyCandidateTest.DROP_IN
                                + FaultyCandidateTest.RELOAD)
                        .orElseThrow();
                System.out.println("fault: exit " + r[0] + " " + r[1].strip());
              });
      assertThat(bad.outcome()).as(bad.observed()).isEqualTo(Control.Outcome.FAIL);
      assertThat(bad.evidence()).contains("FAIL    suggestion SSH-7408").contains("MaxAuthTries");
    } finally {
      Launcher.terminate(out, s -> {});
    }
    assertThat(CandidateCleanup.leftovers(state)).isEmpty();
  }
}
