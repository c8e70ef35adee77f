package dev.kiln.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.bake.BakeLog;
import dev.kiln.bake.BakeRequest;
import dev.kiln.bake.BakeResult;
import dev.kiln.bake.Bakery;
import dev.kiln.exec.Procs;
import dev.kiln.render.Renderer;
import dev.kiln.spec.KilnSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The candidate-boot primitive: an image boots with sshd, IMDSv2 and the emulator reachable. */
class CandidateBootTest {
  @TempDir Path tmp;

  @Test
  void bootsACandidateFromABakedImage() throws Exception {
    assumeTrue(Procs.isRoot(), "the sandbox needs root");
    Path out = tmp.resolve("kiln");
    KilnSpec spec =
        KilnSpec.parse(Map.of("recipes", "debian-12", "outputDir", out.toString()), out);
    new Renderer(spec.templatesDir()).renderAll(spec, "0.1.0-test");
    Path cache = tmp.resolve("cache");
    Files.createDirectories(cache);
    Path userBase = SandboxSettings.defaultCacheDir().resolve("base");
    Files.createDirectories(userBase);
    Files.createSymbolicLink(cache.resolve("base"), userBase);
    String shortId;
    try (Sandbox s =
        Sandbox.open(
            cache,
            "us-east-1",
            List.of(SourceImage.forFilter(List.of("136693071363"), "debian-12-amd64-*", "x86_64")),
            System.out::println)) {
      shortId = s.runShort();
      BakeResult r =
          new Bakery(s)
              .bake(
                  BakeRequest.of(out, List.of("debian-12"), "sandbox", "0.1.0-test")
                      .withSandboxCacheDir(cache),
                  BakeLog.of(l -> {}));
      String ami = r.primaryAmiId().orElseThrow();
      SandboxCandidate c = SandboxCandidate.boot(s, ami, "cand", "kiln-test-role", "");
      Netns ns = c.instance().namespace();
      // sshd of the image answers from the control namespace over the veth link
      Procs.Result banner =
          Procs.run(
              s.control()
                  .exec(
                      List.of(
                          "bash",
                          "-c",
                          "exec 3<>/dev/tcp/" + c.link().peerAddress() + "/22; head -c 7 <&3")),
              Duration.ofSeconds(10),
              Map.of());
      assertThat(banner.output()).startsWith("SSH-2.0");
      // IMDSv2: token first, then role credentials
      Procs.Result creds =
          Procs.run(
              ns.exec(
                  List.of(
                      "bash",
                      "-c",
                      "t=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)"
                          + " && curl -sf -H \"X-aws-ec2-metadata-token: $t\" http://169.254.169.254/latest/meta-data/iam/security-credentials/kiln-test-role"
                          + " && curl -s -o /dev/null -w ' v1:%{http_code}' http://169.254.169.254/latest/meta-data/placement/region")),
              Duration.ofSeconds(10),
              Map.of());
      assertThat(creds.output()).contains(Emulator.ACCESS_KEY_ID).contains("v1:401");
      // the emulator is reachable from the candidate namespace
      Procs.Result moto =
          Procs.run(
              ns.exec(List.of("curl", "-sf", c.emulatorUrl() + "/moto-api/")),
              Duration.ofSeconds(10),
              Map.of());
      assertThat(moto.ok()).as(moto.output()).isTrue();
      // its own hostname and PID namespace
      assertThat(c.instance().upper().resolve("etc/ssh/ssh_host_ed25519_key")).exists();
    }
    assertThat(Netns.list()).noneMatch(n -> n.startsWith("kiln-" + shortId));
  }
}
