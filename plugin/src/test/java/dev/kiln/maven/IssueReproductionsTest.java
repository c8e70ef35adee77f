package dev.kiln.maven;

import static dev.kiln.maven.Goals.goal;
import static dev.kiln.maven.Goals.props;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.spec.Escape;
import dev.kiln.spec.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.maven.plugin.MojoExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each reproduction of issue 8 (parameters tried as an attacker would), refused or as documented.
 */
class IssueReproductionsTest {
  @TempDir Path base;

  /** Parameter path and value, as the issue reproduced them. */
  static final List<List<String>> REFUSED =
      List.of(
          List.of("hardening.trustedCidrs", "0.0.0.0/0,::/0"),
          List.of("hardening.trustedCidrs", "0.0.0.0/00"),
          List.of("hardening.trustedCidrs", "0.0.0.0/1,128.0.0.0/1"),
          List.of("hardening.trustedCidrs", "::0/0"),
          List.of("hardening.trustedCidrs", "10.0.0.0/0"),
          List.of("hardening.trustedCidrs", "1.2.3.4/+8"),
          List.of("hardening.trustedCidrs", "1.2.3.4/\u0668"),
          List.of("prune.dryRun", "yes"),
          List.of("skip", "yes"),
          List.of("bake.force", "yes"),
          List.of("bake.encryptBoot", "1"),
          List.of("launch.keep", "on"),
          List.of("hardening.maxStartups", "10:200:5"),
          List.of("hardening.maxStartups", "0"),
          List.of("hardening.maxStartups", "60:30:10"),
          List.of("runId", "a\nb"),
          List.of("runId", "r".repeat(300)),
          List.of("runId", "$(id)"),
          List.of("bake.regions", "mars-north-9"),
          List.of("bake.launchPermissions", "all"),
          List.of("packer.instanceType", "t3.micro; id"),
          List.of("launch.instanceType", "x"),
          List.of("launch.subnetId", "subnet-zz"),
          List.of("launch.instanceProfile", "a b"),
          List.of("verify.iamUser", "a\nb"),
          List.of("verify.keyFile", "nope"),
          List.of("packer.timeout", "0"),
          List.of("packer.timeout", "-5"),
          List.of("packer.timeout", "9223372036854775807"),
          List.of("launch.timeout", "-1"),
          List.of("prune.keep", "010"),
          List.of("outputDir", "/"),
          List.of("outputDir", "target\nkiln"),
          List.of("hardening.banner", "/etc/shadow"),
          List.of("hardening.banner", "/proc/self/environ"),
          List.of("access.markerGroup", "root"),
          List.of("access.markerGroup", "sudo"),
          List.of("access.localGroups", "sudo"),
          List.of("sandbox.cacheDir", "/"),
          List.of("hardening.maxAuthTries", ""));

  @Test
  void everyReproducedValueIsRefusedBeforeAnythingIsWritten() throws Exception {
    for (List<String> r : REFUSED) {
      for (boolean asProperty : new boolean[] {false, true}) {
        Map<String, String> pom = new HashMap<>(Map.of("recipes", "debian-12"));
        var user = props();
        if (asProperty) {
          user.setProperty("kiln." + r.get(0), r.get(1));
        } else {
          pom.put(r.get(0), r.get(1));
        }
        assertThatThrownBy(() -> goal(RenderMojo.class, base, pom, user).execute())
            .as(r.toString())
            .isInstanceOf(MojoExecutionException.class)
            .hasMessageStartingWith(
                "Invalid parameter: " + Parameter.both(r.get(0)) + " is " + Escape.quoted(r.get(1)))
            .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(base.resolve("target")).as(r.toString()).doesNotExist();
      }
    }
  }

  /** -D wins over the POM for every top-level parameter, in every goal. */
  @Test
  void dWinsOverThePomForTopLevelParametersInEveryGoal() throws Exception {
    Files.createDirectories(base.resolve("tpl"));
    Map<String, String> pom =
        Map.of(
            "recipes", "nope!",
            "outputDir", "/",
            "templatesDir", "missing",
            "recipesDir", "missing",
            "cloud", "gcp",
            "runId", "BAD");
    for (Class<? extends AbstractKilnMojo> g : Goals.ALL) {
      var user =
          props(
              "kiln.recipes", "debian-12",
              "kiln.outputDir", "target/kiln",
              "kiln.templatesDir", "tpl",
              "kiln.recipesDir", "tpl",
              "kiln.cloud", "sandbox",
              "kiln.runId", "run-1",
              // One bad value so that no goal goes on to do work.
              "kiln.hardening.port", "0");
      assertThatThrownBy(() -> goal(g, base, pom, user).execute())
          .as(g.getSimpleName())
          .hasMessage(
              "Invalid parameter: <hardening><port> (-Dkiln.hardening.port) is '0', expected a"
                  + " whole number from 1 to 65535 (decimal digits)");
    }
  }

  @Test
  void trueInAnyCaseEverywhere() throws Exception {
    goal(
            RenderMojo.class,
            base,
            Map.of("recipes", "debian-12", "launch.allowWorld", "TRUE", "prune.dryRun", "False"),
            props())
        .execute();
    assertThat(base.resolve("target/kiln/debian-12/manifest.json")).isRegularFile();
  }

  @Test
  void recipeValuesCannotInjectIntoSshdOrTheProvisionScript() throws Exception {
    Path recipes = Files.createDirectories(base.resolve("recipes"));
    String debian =
        new String(
            getClass()
                .getClassLoader()
                .getResourceAsStream("kiln/recipes/debian-12.yaml")
                .readAllBytes(),
            java.nio.charset.StandardCharsets.UTF_8);
    Files.writeString(
        recipes.resolve("debian-12.yaml"),
        debian.replaceFirst("(?m)^name: .*$", "name: \"Debian\\\\nPermitRootLogin yes\""));
    assertThatThrownBy(
            () ->
                goal(
                        RenderMojo.class,
                        base,
                        Map.of("recipes", "debian-12", "recipesDir", "recipes"),
                        props())
                    .execute())
        .hasMessageContaining("does not match recipe.schema.json")
        .hasMessageContaining("name:");
    Files.writeString(
        recipes.resolve("debian-12.yaml"),
        debian.replaceFirst(
            "(?m)^python: .*$", "python: \"/usr/bin/python3\\\" -c 'import os' ; id; \\\"\""));
    assertThatThrownBy(
            () ->
                goal(
                        RenderMojo.class,
                        base,
                        Map.of("recipes", "debian-12", "recipesDir", "recipes"),
                        props())
                    .execute())
        .hasMessageContaining("python:");
    assertThat(base.resolve("target")).doesNotExist();
  }

  /** One default: access.json carries every key, sudoGroups [] when unset. */
  @Test
  void accessJsonCarriesEveryKeyWithTheTablesDefaults() throws Exception {
    goal(RenderMojo.class, base, Map.of("recipes", "debian-12"), props()).execute();
    String json =
        Files.readString(base.resolve("target/kiln/debian-12/rootfs/etc/kiln/access.json"));
    for (String key :
        List.of(
            "iamGroups",
            "sudoGroups",
            "localGroups",
            "markerGroup",
            "iamEndpoint",
            "stsEndpoint",
            "metadataEndpoint",
            "region",
            "keyCacheTtl",
            "negativeCacheTtl",
            "deadline",
            "staleIfError",
            "syncInterval",
            "assumeRole",
            "uidRange",
            "deleteAfterRuns",
            "keepHome",
            "groupsFromTags")) {
      assertThat(json).as(key).contains("\"" + key + "\"");
    }
    assertThat(json.replaceAll("\\s", "")).contains("\"sudoGroups\":[]");
    assertThat(json.replaceAll("\\s", "")).contains("\"iamGroups\":[\"ssh-admins\"]");
  }
}
