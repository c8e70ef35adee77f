package dev.kiln.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CloudSettingsTest {
  private final Path base = Path.of("/project");

  @Test
  void defaultsAreNullAndValuesAreTyped() throws Exception {
    assertThat(CloudSettings.parse(Map.of(), base))
        .isEqualTo(new CloudSettings(null, null, null, null, null));
    CloudSettings c =
        CloudSettings.parse(
            Map.of(
                "cloud", "aws",
                "aws.region", "eu-west-1",
                "aws.endpoint", "http://127.0.0.1:5000/",
                "sandbox.cacheDir", "cache"),
            base);
    assertThat(c.awsEndpoint()).isEqualTo(URI.create("http://127.0.0.1:5000"));
    assertThat(c.sandboxCacheDir()).isEqualTo(Path.of("/project/cache"));
  }

  @Test
  void everyBadValueIsNamed() {
    assertThatThrownBy(
            () ->
                CloudSettings.parse(
                    Map.of("cloud", "gcp", "aws.region", "Europe", "aws.endpoint", "ftp://x"),
                    base))
        .isInstanceOfSatisfying(
            InvalidParametersException.class,
            e ->
                assertThat(e.problems())
                    .extracting(InvalidParametersException.Problem::parameter)
                    .containsExactly("cloud", "aws.region", "aws.endpoint"));
  }
}
