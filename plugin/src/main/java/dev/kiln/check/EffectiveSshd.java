package dev.kiln.check;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The sshd controls of hardening.md asserted over the {@code sshd -T} output of a RUNNING instance
 * (kiln:verify reads it through an authorized session), with the same expectations as the static
 * check of a bundle ({@link SshdCheck}).
 */
public final class EffectiveSshd {
  private EffectiveSshd() {}

  /**
   * @param in the bundle's recipe and the resolved hardening, algorithms and access maps
   * @param sshdT the output of {@code sshd -T} (optionally {@code -C user=…,host=…,addr=…})
   * @return one finding per control the effective configuration violates; empty when it passes
   */
  public static List<Finding> check(CheckInput in, String sshdT) {
    return SshdExpectations.compare(
        in,
        SshdText.parse(sshdT),
        Path.of("/etc/ssh/ssh_host_ed25519_key"),
        "sshd -T on the candidate");
  }

  /** The seed requirements every Kiln image holds whatever its configuration (hardening.md). */
  static final Map<String, String> INVARIANTS =
      Map.of(
          "permitrootlogin", "no",
          "passwordauthentication", "no",
          "kbdinteractiveauthentication", "no",
          "permitemptypasswords", "no",
          "authenticationmethods", "publickey");

  /**
   * The seed requirements violated in {@code sshd -T} output, as {@code key 'observed' (expected
   * 'value')}; empty when they hold. For health checks of instances whose bundle is not at hand.
   */
  public static List<String> invariantViolations(String sshdT) {
    Map<String, List<String>> m = SshdText.parse(sshdT);
    List<String> out = new ArrayList<>();
    INVARIANTS.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(
            e -> {
              List<String> v = m.getOrDefault(e.getKey(), List.of());
              if (v.isEmpty() || !v.get(0).equals(e.getValue())) {
                out.add(
                    e.getKey()
                        + " is '"
                        + (v.isEmpty() ? "(absent)" : v.get(0))
                        + "', expected '"
                        + e.getValue()
                        + "'");
              }
            });
    return out;
  }
}
