package dev.kiln.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KilnSpecTest {
  @TempDir Path base;

  @Test
  void defaultsRenderEveryBuiltInRecipeWithHardeningDefaults() throws Exception {
    KilnSpec spec = KilnSpec.parse(Map.of(), base);
    assertThat(spec.recipes())
        .extracting(Recipe::id)
        .containsExactlyInAnyOrder(
            "al2023", "debian-12", "debian-13", "rhel-9", "ubuntu-22.04", "ubuntu-24.04");
    assertThat(spec.hardening().maxAuthTries()).isEqualTo(3);
    assertThat(spec.hardening().loginGraceTime()).isEqualTo(30);
    assertThat(spec.hardening().fail2banRecidiveBanTime()).isEqualTo(604800);
    assertThat(spec.access().markerGroup()).isEqualTo("kiln-iam");
    assertThat(spec.outputDir()).isEqualTo(base.resolve("target/kiln"));
  }

  @Test
  void everyInvalidParameterIsReportedWithItsPathValueAndForm() {
    assertThatThrownBy(
            () ->
                KilnSpec.parse(
                    Map.of(
                        "hardening.maxAuthTries", "abc",
                        "hardening.trustedCidrs", "10.0.0.0/33",
                        "access.uidRange", "5-10",
                        "hardening.loginGraceTime", "2h"),
                    base))
        .isInstanceOfSatisfying(
            InvalidParametersException.class,
            e ->
                assertThat(e.problems())
                    .extracting(InvalidParametersException.Problem::parameter)
                    .containsExactlyInAnyOrder(
                        "hardening.maxAuthTries",
                        "hardening.trustedCidrs",
                        "access.uidRange",
                        "hardening.loginGraceTime"))
        .hasMessage("is 'abc', expected a whole number from 1 to 6 (decimal digits)");
  }

  @Test
  void accessDefaultsToOneGroupAndStarMeansEveryone() throws Exception {
    assertThat(KilnSpec.parse(Map.of(), base).access().iamGroups()).containsExactly("ssh-admins");
    assertThat(KilnSpec.parse(Map.of(), base).access().sudoGroups()).isEmpty();
    assertThat(KilnSpec.parse(Map.of("access.iamGroups", "*"), base).access().iamGroups())
        .isEmpty();
  }

  @Test
  void durationsTakeUnits() throws Exception {
    KilnSpec spec =
        KilnSpec.parse(
            Map.of("hardening.fail2banFindTime", "15m", "access.keyCacheTtl", "2m"), base);
    assertThat(spec.hardening().fail2banFindTime()).isEqualTo(900);
    assertThat(spec.access().keyCacheTtl()).isEqualTo(120);
  }

  @Test
  void unknownRecipeNamesTheKnownOnes() {
    assertThatThrownBy(() -> KilnSpec.parse(Map.of("recipes", "debian-12,windows"), base))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("'debian-12,windows'")
        .hasMessageContaining(
            "al2023, debian-12, debian-13, rhel-9, ubuntu-22.04, ubuntu-24.04; unknown: windows");
  }

  @Test
  void algorithmsAreCheckedAgainstTheRecipesOpenSshVersion() {
    assertThatThrownBy(
            () ->
                KilnSpec.parse(
                    Map.of(
                        "recipes",
                        "al2023",
                        "hardening.ciphers",
                        "aes256-gcm@openssh.com,aes128-cbc"),
                    base))
        .isInstanceOfSatisfying(
            InvalidParametersException.class,
            e -> {
              assertThat(e.problems()).hasSize(1);
              assertThat(e.problems().get(0).parameter()).isEqualTo("hardening.ciphers");
              assertThat(e.problems().get(0).expected())
                  .contains("OpenSSH 8.7 (recipe al2023)")
                  .contains("not allowed: aes128-cbc");
            });
  }

  @Test
  void algorithmOverrideKeepsTheUsersOrder() throws Exception {
    KilnSpec spec =
        KilnSpec.parse(
            Map.of(
                "recipes",
                "debian-12",
                "hardening.ciphers",
                "aes128-gcm@openssh.com,chacha20-poly1305@openssh.com"),
            base);
    assertThat(spec.sshdByRecipe().get("debian-12").get("ciphers"))
        .isEqualTo(java.util.List.of("aes128-gcm@openssh.com", "chacha20-poly1305@openssh.com"));
  }

  @Test
  void userRecipeOverridesBuiltInAndIsSchemaChecked() throws Exception {
    Path dir = Files.createDirectories(base.resolve("recipes"));
    Files.writeString(dir.resolve("debian-12.yaml"), "id: debian-12\nname: 12\n");
    assertThatThrownBy(
            () -> KilnSpec.parse(Map.of("recipesDir", "recipes", "recipes", "debian-12"), base))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("does not match recipe.schema.json")
        .satisfies(
            e -> assertThat(((KilnException) e).details()).anyMatch(d -> d.contains("required")));
  }

  @Test
  void missingDirectoryIsAnInvalidParameter() {
    assertThatThrownBy(() -> KilnSpec.parse(Map.of("templatesDir", "nope"), base))
        .isInstanceOfSatisfying(
            InvalidParametersException.class,
            e ->
                assertThat(e.problems().get(0).expected())
                    .isEqualTo(
                        "an existing directory (relative to the project) (no such directory)"));
  }
}
