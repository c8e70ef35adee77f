package dev.kiln.check;

import java.nio.file.Path;
import java.util.List;

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
    return SshdCheck.compare(
        in,
        SshdCheck.parse(sshdT),
        Path.of("/etc/ssh/ssh_host_ed25519_key"),
        "sshd -T on the candidate");
  }
}
