package dev.kiln.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.spec.KilnSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every recipe's bundle with break-glass, Session Manager and (where the recipe has a helper)
 * Instance Connect chain mode passes every check: sshd -t/-T, the slot check, bash -n and
 * shellcheck of provision.sh with the SSM agent's install. The agent's install itself is not run
 * here (no network in the sandbox): rendered and validated only.
 */
class WaysInBundleCheckTest {
  @TempDir static Path dir;
  static KilnSpec all;
  static KilnSpec chain;

  @BeforeAll
  static void render() throws Exception {
    Process p =
        new ProcessBuilder(
                "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("ca").toString())
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).isZero();
    all =
        Bundles.render(
            dir.resolve("all"),
            Map.of(
                "access.breakGlass.caPublicKey",
                dir.resolve("ca.pub").toString(),
                "access.sessionManager",
                "true"));
    chain =
        Bundles.render(
            dir.resolve("chain"),
            Map.of(
                "recipes", "al2023,rhel-9,ubuntu-22.04,ubuntu-24.04",
                "access.instanceConnect", "chain"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"al2023", "ubuntu-24.04", "ubuntu-22.04", "debian-12", "debian-13", "rhel-9"})
  void breakGlassAndSessionManagerPassEveryCheck(String recipe) throws Exception {
    List<Finding> findings = new BundleChecker().check(Bundles.input(all, recipe));
    assertThat(findings.stream().filter(BundleChecker::failing).map(Finding::describe).toList())
        .isEmpty();
    String provision =
        Files.readString(all.outputDir().resolve(recipe).resolve("packer/provision.sh"));
    assertThat(provision).contains("systemctl enable '", "amazon-ssm-agent", "breakglass_user=");
  }

  @ParameterizedTest
  @ValueSource(strings = {"al2023", "ubuntu-24.04", "ubuntu-22.04", "rhel-9"})
  void chainModePassesEveryCheck(String recipe) throws Exception {
    List<Finding> findings = new BundleChecker().check(Bundles.input(chain, recipe));
    assertThat(findings.stream().filter(BundleChecker::failing).map(Finding::describe).toList())
        .isEmpty();
  }
}
