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
}
