package dev.kiln.cloud;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.render.Json;
import dev.kiln.sandbox.CandidateState;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CloudsTest {
  @TempDir Path tmp;

  @Test
  void choosesByNameOrByCredentials() throws Exception {
    CloudSettings none = new CloudSettings(null, null, null, null, tmp);
    assertThat(Clouds.choose(none, s -> true)).isInstanceOf(AwsCloud.class);
    assertThat(Clouds.choose(none, s -> false))
        .isInstanceOfSatisfying(
            SandboxCloud.class,
            c -> {
              assertThat(c.cacheDir()).isEqualTo(tmp);
              assertThat(c.region()).isEqualTo("us-east-1");
              assertThat(c.name()).isEqualTo("sandbox");
            });
    assertThat(Clouds.choose(none.withCloud("aws"), s -> false).name()).isEqualTo("aws");
    assertThat(Clouds.choose(none.withCloud("sandbox"), s -> true).name()).isEqualTo("sandbox");
    // a recorded cloud (bake.json) only when none is set
    assertThat(Clouds.choose(none.orCloud("aws"), s -> false).name()).isEqualTo("aws");
    assertThat(Clouds.choose(none.withCloud("sandbox").orCloud("aws"), s -> true).name())
        .isEqualTo("sandbox");
  }

  @Test
  void refusesAnUnknownCloudNamingTheParameter() {
    assertThatThrownBy(() -> Clouds.choose(new CloudSettings("gcp", null, null, null, null)))
        .isInstanceOfSatisfying(
            KilnException.class,
            e -> {
              assertThat(e.parameter()).contains("cloud");
              assertThat(e.getMessage()).contains("'gcp'").contains("aws or sandbox");
            });
  }

  @Test
  void candidateRoundTripsThroughItsRecordAndFindsItsCloud() throws Exception {
    CandidateState s = new CandidateState();
    s.instanceId = "i-0123456789abcdef0";
    s.amiId = "ami-1";
    s.region = "us-east-1";
    s.dir = tmp.resolve("run/x");
    s.namespaces = List.of("kilnc-1", "kilnc-2");
    s.sources = List.of(new CandidateState.Source("user", "198.19.2.1", 40001, "/s", 42L));
    s.pid1 = 7;
    Candidate c =
        Candidate.launching("sandbox", "ami-1", "debian-12", "kiln-1", true, tmp.resolve("out"))
            .withSandbox(tmp, s)
            .at("127.0.0.1", 40001, Candidate.RUNNING);
    Path file = tmp.resolve("instance.json");
    c.write(file);
    String text = Files.readString(file);
    // paths as plain strings; nothing AWS in a sandbox record
    assertThat(text)
        .contains("\"dir\": \"" + s.dir + "\"")
        .doesNotContain("\"aws\"", "\"running\":", "\"terminated\":");
    Candidate back = Candidate.read(file).orElseThrow();
    assertThat(back.isRunning()).isTrue();
    assertThat(back.keep()).isTrue();
    assertThat(back.portNumber()).isEqualTo(40001);
    assertThat(back.sandbox().dir).isEqualTo(s.dir);
    assertThat(back.sandbox().sources).containsExactlyElementsOf(s.sources);
    assertThat(Json.write(back)).isEqualTo(text);
    assertThat(Clouds.of(back))
        .isInstanceOfSatisfying(
            SandboxCloud.class, x -> assertThat(x.cacheDir()).isEqualTo(tmp.toAbsolutePath()));

    Candidate aws =
        Candidate.launching("aws", "ami-2", null, "kiln-2", false, null)
            .withAws(new Candidate.Aws("eu-west-1", "p", "http://127.0.0.1:5000", "sg-1", "i-2"));
    Candidate awsBack = Json.parse(Json.write(aws), Candidate.class);
    assertThat(awsBack).isEqualTo(aws);
    assertThat(Clouds.of(awsBack).settings())
        .isEqualTo(
            new CloudSettings("aws", "p", "eu-west-1", URI.create("http://127.0.0.1:5000"), null));
  }

  @Test
  void anOlderRecordWithUnknownFieldsStillReads() throws Exception {
    Candidate c =
        Json.parse(
            "{\"cloud\":\"sandbox\",\"state\":\"terminated\",\"future\":1}", Candidate.class);
    assertThat(c.isTerminated()).isTrue();
  }
}
