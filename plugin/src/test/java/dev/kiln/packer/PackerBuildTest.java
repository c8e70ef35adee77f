package dev.kiln.packer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.bake.BakeLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A build against a fake {@code packer} script: streaming, artifacts, failure, SIGINT cleanup. */
class PackerBuildTest {
  @TempDir Path dir;

  private PackerBuild build(String buildScript) throws Exception {
    Path exe = dir.resolve("packer");
    Files.writeString(
        exe,
        "#!/bin/sh\n"
            + "if [ \"$1\" = version ]; then echo 'Packer v1.6.6'; exit 0; fi\n"
            + buildScript);
    Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path template = dir.resolve("kiln.pkr.json");
    Files.writeString(template, "{}");
    return new PackerBuild(PackerExecutable.locate(exe.toString(), ""), template);
  }

  @Test
  void streamsProgressAndReadsTheArtifactInTheTemplatesDirectory() throws Exception {
    PackerBuild b =
        build(
            "echo \"1,,ui,say,==> in $(basename \"$PWD\") color=$PACKER_NO_COLOR cp=$CHECKPOINT_DISABLE x=$X\"\n"
                + "echo '1,amazon-ebs.kiln,artifact,0,builder-id,mitchellh.amazonebs'\n"
                + "echo '1,amazon-ebs.kiln,artifact,0,id,us-east-1:ami-0123'\n"
                + "echo 'not machine readable' >&2\n");
    List<String> lines = new ArrayList<>();
    PackerResult r = b.env("X", "y").run(BakeLog.of(lines::add));
    assertThat(lines)
        .containsExactly(
            "==> in " + dir.getFileName() + " color=1 cp=1 x=y", "not machine readable");
    assertThat(r.artifacts()).hasSize(1);
    assertThat(r.artifacts().get(0).amis()).isEqualTo(Map.of("us-east-1", "ami-0123"));
  }

  @Test
  void aFailedBuildCarriesPackersLastError() throws Exception {
    PackerBuild b = build("echo '1,,ui,error,Build errored: no luck'\nexit 3\n");
    assertThatThrownBy(() -> b.run(PackerLog.silent()))
        .isInstanceOf(PackerFailedException.class)
        .hasMessage("Packer failed (exit 3): Build errored: no luck");
  }

  @Test
  void aTimeoutSendsSigintSoPackerCleansUp() throws Exception {
    Path cleaned = dir.resolve("cleaned");
    PackerBuild b =
        build(
            "trap 'echo done > "
                + cleaned
                + "; exit 1' INT\n"
                + "echo '1,,ui,say,started'\n"
                + "while :; do sleep 0.1; done\n");
    List<String> lines = new ArrayList<>();
    assertThatThrownBy(
            () ->
                b.timeout(Duration.ofSeconds(2))
                    .cleanupGrace(Duration.ofSeconds(10))
                    .run(BakeLog.of(lines::add)))
        .isInstanceOf(PackerFailedException.class)
        .hasMessage("Packer timed out after 2 s");
    assertThat(cleaned).hasContent("done");
    assertThat(lines).contains("started");
  }
}
