package dev.kiln.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.spec.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Launch's inputs and terminate's idempotence, without any cloud. */
class LauncherTest {
  @TempDir Path tmp;

  @Test
  void withoutAnImageTheErrorNamesAmiId() {
    assertThatThrownBy(() -> new Launcher().launch(LaunchRequest.sandbox(tmp, null, tmp), l -> {}))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("kiln:bake")
        .satisfies(e -> assertThat(((KilnException) e).parameter()).contains("ami.id"));
    assertThat(tmp.resolve(Launcher.RECORD)).doesNotExist();
  }

  @Test
  void anUnknownCloudIsABadParameter() {
    LaunchRequest r =
        new LaunchRequest(
            tmp,
            "gcp",
            "ami-1",
            List.of(),
            false,
            Duration.ofSeconds(1),
            false,
            null,
            22,
            null,
            null,
            null,
            null,
            null,
            null,
            tmp);
    assertThatThrownBy(() -> new Launcher().launch(r, l -> {}))
        .satisfies(e -> assertThat(((KilnException) e).parameter()).contains("cloud"));
  }

  @Test
  void awsWithoutTrustedCidrsFailsNamingTheParameterBeforeAnyCall() {
    LaunchRequest r =
        new LaunchRequest(
            tmp,
            "aws",
            "ami-1",
            List.of(),
            false,
            Duration.ofSeconds(1),
            true,
            null,
            22,
            null,
            null,
            null,
            null,
            "us-east-1",
            java.net.URI.create("http://127.0.0.1:9"),
            tmp);
    assertThatThrownBy(() -> new Launcher((h, p, t, l) -> {}).launch(r, l -> {}))
        .hasMessageContaining("no trusted CIDRs")
        .satisfies(
            e -> assertThat(((KilnException) e).parameter()).contains("hardening.trustedCidrs"));
  }

  @Test
  void terminateWithNothingRecordedIsANoOpAndSaysSo() throws Exception {
    List<String> lines = new ArrayList<>();
    assertThat(Launcher.terminate(tmp, lines::add)).isEmpty();
    assertThat(lines).singleElement().asString().contains("No candidate to terminate");
  }

  @Test
  void terminateOfAnAlreadyTerminatedRecordDoesNothing() throws Exception {
    Files.writeString(
        tmp.resolve(Launcher.RECORD), "{\"cloud\":\"sandbox\",\"state\":\"terminated\"}");
    assertThat(Launcher.terminate(tmp, l -> {})).isEmpty();
  }

  @Test
  void recipeOfTheImageComesFromBakeJson() {
    Map<String, Object> bake =
        Map.of(
            "images",
            List.of(
                Map.of("amiId", "ami-a", "recipe", "al2023"),
                Map.of("amiId", "ami-b", "recipe", "debian-12")));
    assertThat(Launcher.recipeOf(bake, "ami-b")).isEqualTo("debian-12");
    assertThat(Launcher.recipeOf(bake, "ami-c")).isNull();
  }

  @Test
  void severalRecipesOfABakeAreLaunchedEachFromItsPrimaryRegionImage() {
    Map<String, Object> bake =
        Map.of(
            "images",
            List.of(
                Map.of(
                    "amiId",
                    "ami-a",
                    "recipe",
                    "debian-12",
                    "region",
                    "us-east-1",
                    "primary",
                    true),
                Map.of(
                    "amiId",
                    "ami-b",
                    "recipe",
                    "debian-12",
                    "region",
                    "eu-west-1",
                    "primary",
                    false),
                Map.of(
                    "amiId",
                    "ami-c",
                    "recipe",
                    "debian-13",
                    "region",
                    "eu-west-1",
                    "primary",
                    false),
                Map.of(
                    "amiId",
                    "ami-d",
                    "recipe",
                    "debian-13",
                    "region",
                    "us-east-1",
                    "primary",
                    false)));
    assertThat(Launcher.imagesByRecipe(bake))
        .containsExactly(Map.entry("debian-12", "ami-a"), Map.entry("debian-13", "ami-d"));
    assertThat(Launcher.imagesByRecipe(Map.of())).isEmpty();
  }

  @Test
  void terminateRemovesEveryRecordedCandidateAndTheirProperties() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(Launcher.RECORDS_DIR));
    // records of a two-recipe launch whose clouds hold nothing any more (no sandbox state)
    for (String r : List.of("debian-12", "debian-13")) {
      Files.writeString(
          dir.resolve(r + ".json"),
          "{\"cloud\":\"sandbox\",\"state\":\"running\",\"recipe\":\""
              + r
              + "\",\"instanceId\":\"i-"
              + r
              + "\"}");
      Files.writeString(dir.resolve(r + ".properties"), "kiln.instance.id=i-" + r + "\n");
    }
    assertThat(Launcher.runningAll(tmp))
        .extracting(m -> m.recipe())
        .containsExactly("debian-12", "debian-13");
    assertThat(Launcher.running(tmp)).get().extracting(m -> m.recipe()).isEqualTo("debian-12");
    List<String> lines = new ArrayList<>();
    Launcher.terminate(tmp, lines::add);
    assertThat(lines)
        .contains(
            "Candidate i-debian-12 was already gone", "Candidate i-debian-13 was already gone");
    assertThat(Launcher.runningAll(tmp)).isEmpty();
    assertThat(dir.resolve("debian-12.properties")).doesNotExist();
    assertThat(dir.resolve("debian-13.properties")).doesNotExist();
    assertThat(Files.readString(dir.resolve("debian-13.json"))).contains("terminated");
  }

  @Test
  void anExplicitImageIsOneCandidateEvenWhenTheBakeMadeSeveral() throws Exception {
    Files.writeString(
        tmp.resolve("bake.json"),
        "{\"cloud\":\"gcp\",\"images\":[{\"recipe\":\"debian-12\",\"amiId\":\"ami-a\","
            + "\"region\":\"r\",\"primary\":true},{\"recipe\":\"debian-13\","
            + "\"amiId\":\"ami-b\",\"region\":\"r\",\"primary\":false}]}");
    // the unknown cloud fails each launch before anything starts: which path was taken shows in
    // whether the several-recipe line was logged
    List<String> lines = new ArrayList<>();
    LaunchRequest several = LaunchRequest.sandbox(tmp, null, tmp);
    LaunchRequest gcp =
        new LaunchRequest(
            tmp, "gcp", null, List.of(), false, null, false, null, 22, null, null, null, null, null,
            null, tmp);
    assertThatThrownBy(() -> new Launcher().launchAll(gcp, null, lines::add))
        .satisfies(e -> assertThat(((KilnException) e).parameter()).contains("cloud"));
    assertThat(lines)
        .anyMatch(l -> l.contains("Launching a candidate of each recipe: debian-12, debian-13"));
    lines.clear();
    assertThatThrownBy(() -> new Launcher().launchAll(gcp.withAmiId("ami-b"), null, lines::add))
        .satisfies(e -> assertThat(((KilnException) e).parameter()).contains("cloud"));
    assertThat(lines).noneMatch(l -> l.contains("each recipe"));
    assertThat(several.amiId()).isNull();
  }
}
