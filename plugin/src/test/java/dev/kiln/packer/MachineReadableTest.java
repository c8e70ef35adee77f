package dev.kiln.packer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The -machine-readable parser, on output captured from real Packer 1.6.6 runs in the sandbox. */
class MachineReadableTest {
  static List<String> fixture(String name) throws IOException {
    try (InputStream in = MachineReadableTest.class.getResourceAsStream("/packer/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }

  static PackerBuild.Collector collect(List<String> lines, List<String> info, List<String> warn) {
    PackerBuild.Collector c =
        new PackerBuild.Collector(
            new PackerLog() {
              @Override
              public void info(String line) {
                info.add(line);
              }

              @Override
              public void warn(String line) {
                warn.add(line);
              }
            });
    lines.forEach(c::accept);
    return c;
  }

  @Test
  void parsesTheArtifactOfARealBuild() throws IOException {
    List<String> info = new ArrayList<>();
    PackerBuild.Collector c =
        collect(fixture("build-success.machine-readable"), info, new ArrayList<>());
    assertThat(c.artifacts()).hasSize(1);
    Artifact a = c.artifacts().get(0);
    assertThat(a.build()).isEqualTo("amazon-ebs.kiln");
    assertThat(a.builderId()).isEqualTo("mitchellh.amazonebs");
    assertThat(a.amis()).containsExactly(Map.entry("us-east-1", "ami-d81d37a30acfd56e3"));
    assertThat(c.errors()).isNotEmpty(); // provision.sh's stderr arrives as ui,error
    // escaped commas and newlines are restored in the streamed log
    assertThat(info).contains("==> Builds finished. The artifacts of successful builds are:");
  }

  @Test
  void aFailedBuildHasNoArtifactAndCarriesPackersError() throws IOException {
    List<String> warn = new ArrayList<>();
    PackerBuild.Collector c =
        collect(fixture("build-failure.machine-readable"), new ArrayList<>(), warn);
    assertThat(c.artifacts()).isEmpty();
    assertThat(c.errors())
        .contains("Script exited with non-zero exit status: 7.Allowed exit codes are: [0]");
    assertThat(warn).contains("==> amazon-ebs.kiln: kiln-test: provisioning exploded");
  }

  @Test
  void unescapesCommasNewlinesAndCarriageReturns() {
    var r =
        MachineReadable.parse(
                "1795425099,,ui,error,==> a: no downloads%!(PACKER_COMMA) checking\\nnext\\rline")
            .orElseThrow();
    assertThat(r.target()).isEmpty();
    assertThat(r.type()).isEqualTo("ui");
    assertThat(r.datum(0)).isEqualTo("error");
    assertThat(r.datum(1)).isEqualTo("==> a: no downloads, checking\nnext\rline");
    assertThat(r.datum(5)).isEmpty();
  }

  @Test
  void multiRegionArtifactIds() {
    String id = "us-east-1:ami-0aaa,eu-west-1:ami-0bbb, ap-south-1:ami-0ccc";
    assertThat(MachineReadable.amis(id))
        .containsExactly(
            Map.entry("us-east-1", "ami-0aaa"),
            Map.entry("eu-west-1", "ami-0bbb"),
            Map.entry("ap-south-1", "ami-0ccc"));
    // as it arrives on the wire: commas escaped
    var rec =
        MachineReadable.parse(
                "1,amazon-ebs.kiln,artifact,0,id,us-east-1:ami-1%!(PACKER_COMMA)eu-west-1:ami-2")
            .orElseThrow();
    assertThat(MachineReadable.amis(rec.datum(2))).containsKeys("us-east-1", "eu-west-1");
    assertThat(MachineReadable.amis("garbage,us-east-1:snap-1")).isEmpty();
  }

  @Test
  void nonRecordsAreNotParsed() {
    assertThat(MachineReadable.parse("Error: Failed to parse template")).isEmpty();
    assertThat(MachineReadable.parse("")).isEmpty();
    assertThat(MachineReadable.parse("12,only")).isEmpty();
    assertThat(MachineReadable.parse(null)).isEmpty();
  }

  @Test
  void plainLinesAreStreamedAndErrorRecordsCollected() {
    List<String> info = new ArrayList<>();
    List<String> warn = new ArrayList<>();
    var c =
        collect(
            List.of(
                "Error: Failed to initialize build",
                "1,amazon-ebs.x,error,boom%!(PACKER_COMMA) twice",
                "1,amazon-ebs.x,artifact,0,id,us-east-1:ami-9",
                "1,amazon-ebs.x,artifact,0,end"),
            info,
            warn);
    assertThat(info).contains("Error: Failed to initialize build");
    assertThat(c.errors()).containsExactly("boom, twice");
    assertThat(c.artifacts()).singleElement().satisfies(a -> assertThat(a.builderId()).isEmpty());
  }
}
