package dev.kiln.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.spec.KilnSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every built-in recipe's rendered bundle passes every check, hostile drop-ins included. */
class BundleCheckerTest {
  @TempDir static Path dir;
  static KilnSpec spec;

  @BeforeAll
  static void render() throws Exception {
    spec = Bundles.render(dir, Map.of());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"al2023", "ubuntu-24.04", "ubuntu-22.04", "debian-12", "debian-13", "rhel-9"})
  void renderedBundlePassesEveryCheck(String recipe) throws Exception {
    List<Finding> findings = new BundleChecker().check(Bundles.input(spec, recipe));
    assertThat(findings.stream().filter(BundleChecker::failing).map(Finding::describe).toList())
        .isEmpty();
  }
}
