package dev.kiln.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each change of a candidate record changes what it names and keeps every other field. */
class CandidateTest {
  @TempDir Path tmp;

  @Test
  void changesKeepTheOtherFields() throws Exception {
    Candidate c =
        Candidate.launching("aws", "ami-0123456789abcdef0", "debian-12", "run1", true, tmp)
            .recordedIn(tmp.resolve("instance.json"), tmp.resolve("cache.json"))
            .withAws(new Candidate.Aws("eu-west-1", "ci", null, "sg-1", "i-1"))
            .at("203.0.113.7", 22, Candidate.RUNNING);
    assertThat(c.cloud()).isEqualTo("aws");
    assertThat(c.amiId()).isEqualTo("ami-0123456789abcdef0");
    assertThat(c.recipe()).isEqualTo("debian-12");
    assertThat(c.runId()).isEqualTo("run1");
    assertThat(c.keep()).isTrue();
    assertThat(c.project()).isEqualTo(tmp.toAbsolutePath().normalize().toString());
    assertThat(c.record()).endsWith("instance.json");
    assertThat(c.cacheRecord()).endsWith("cache.json");
    assertThat(c.instanceId()).isEqualTo("i-1");
    assertThat(c.aws().securityGroupId()).isEqualTo("sg-1");
    assertThat(c.host()).isEqualTo("203.0.113.7");
    assertThat(c.portNumber()).isEqualTo(22);
    assertThat(c.isRunning()).isTrue();
    assertThat(c.launchedAt()).isNotNull();

    Candidate t = c.terminated(List.of("i-1", "sg-1"));
    assertThat(t.isTerminated()).isTrue();
    assertThat(t.removed()).containsExactly("i-1", "sg-1");
    assertThat(t.terminatedAt()).isNotNull();
    assertThat(t)
        .usingRecursiveComparison()
        .ignoringFields("state", "removed", "terminatedAt")
        .isEqualTo(c);

    Path f = tmp.resolve("rec.json");
    t.write(f);
    assertThat(Candidate.read(f)).contains(t);
  }
}
