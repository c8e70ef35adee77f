package dev.kiln.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slot check with the local sshd: Kiln's bundle keeps the key slot against Instance Connect's
 * {@code -o} unit drop-in and systemd-userdb's drop-in, trusts the break-glass CA for its account
 * only, and each of those fails when the bundle is built wrong.
 */
class SlotCheckTest {
  @TempDir static Path dir;
  static CheckInput plain;
  static CheckInput breakGlass;

  @BeforeAll
  static void render() throws Exception {
    plain =
        Bundles.input(
            Bundles.render(dir.resolve("plain"), Map.of("recipes", "debian-12")), "debian-12");
    Path ca = dir.resolve("ca");
    Process p =
        new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", ca.toString())
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).isZero();
    breakGlass =
        Bundles.input(
            Bundles.render(
                dir.resolve("bg"),
                Map.of("recipes", "debian-12", "access.breakGlass.caPublicKey", ca + ".pub")),
            "debian-12");
  }

  private static List<String> checks(CheckInput in) {
    return new SlotCheck(new Tools()).run(in).stream().map(Finding::check).toList();
  }

  private static Path dropIn(CheckInput in, String name) {
    return in.bundleDir().resolve("rootfs/etc/ssh/sshd_config.d").resolve(name);
  }

  @Test
  void kilnsBundlesHoldTheSlotAndTrustTheCaForItsAccountOnly() {
    assertThat(new SlotCheck(new Tools()).run(plain)).isEmpty();
    assertThat(new SlotCheck(new Tools()).run(breakGlass)).isEmpty();
  }

  @Test
  void withoutTheMatchAllBlockInstanceConnectsOptionsTakeTheSlot() throws Exception {
    CheckInput in =
        new CheckInput(
            plain.bundleDir(),
            plain.recipe(),
            plain.hardening(),
            plain.sshd(),
            plain.access(),
            Map.of("00-kiln-slot.conf", "# emptied\n"));
    List<Finding> f = new SlotCheck(new Tools()).run(in);
    assertThat(f)
        .anySatisfy(
            x -> {
              assertThat(x.check()).isEqualTo("sshd.slot.live");
              assertThat(x.message())
                  .contains(
                      "authorizedkeyscommand: files '/usr/libexec/kiln/authorized-keys %u %f'")
                  .contains("eic_run_authorized_keys");
            });
    assertThat(f).extracting(Finding::check).contains("sshd.slot.live");
  }

  @Test
  void aCaTrustedForEveryAccountIsAFinding() throws Exception {
    String slot = Files.readString(dropIn(breakGlass, "00-kiln-slot.conf"));
    CheckInput in =
        new CheckInput(
            breakGlass.bundleDir(),
            breakGlass.recipe(),
            breakGlass.hardening(),
            breakGlass.sshd(),
            breakGlass.access(),
            Map.of(
                "00-kiln-slot.conf",
                slot.replace("TrustedUserCAKeys none", "TrustedUserCAKeys " + SlotCheck.CA)));
    assertThat(checks(in)).contains("sshd.slot.trustedusercakeys");
  }

  @Test
  void aBreakGlassAccountWithAKeyCommandIsAFinding() throws Exception {
    String bg = Files.readString(dropIn(breakGlass, "00-kiln-breakglass.conf"));
    CheckInput in =
        new CheckInput(
            breakGlass.bundleDir(),
            breakGlass.recipe(),
            breakGlass.hardening(),
            breakGlass.sshd(),
            breakGlass.access(),
            Map.of("00-kiln-breakglass.conf", bg.replace("    AuthorizedKeysCommand none\n", "")));
    assertThat(checks(in)).contains("sshd.slot.authorizedkeyscommand");
  }
}
