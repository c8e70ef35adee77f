package dev.kiln.bake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.aws.AwsClients;
import dev.kiln.aws.AwsSettings;
import dev.kiln.aws.ImageCatalog;
import dev.kiln.cloud.SandboxCloud;
import dev.kiln.exec.Procs;
import dev.kiln.sandbox.BaseRootfs;
import dev.kiln.sandbox.Emulator;
import dev.kiln.sandbox.Sandbox;
import dev.kiln.sandbox.SandboxBuilder;
import dev.kiln.sandbox.SandboxForwarder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;

/**
 * The AWS code path ({@code kiln.cloud=aws}: default credential chain, endpoint override, Packer in
 * the host namespace) against the emulator, with a local sshd target. Everything Packer and the SDK
 * dial is on host loopback: the emulator and the builder's sshd are bridged out of their
 * namespaces.
 */
class AwsPathBakeTest {
  @TempDir Path tmp;

  @Test
  void bakesAndReusesThroughTheAwsPath() throws Exception {
    assumeTrue(Procs.isRoot(), "the sandbox needs root");
    Path out = tmp.resolve("kiln");
    SandboxFixture.render(out, "debian-12");
    Path cache = SandboxFixture.cacheDir(tmp);
    RecipeBundle b = RecipeBundle.read(out, "debian-12");
    String oldAk = System.getProperty("aws.accessKeyId");
    System.setProperty("aws.accessKeyId", Emulator.ACCESS_KEY_ID);
    System.setProperty("aws.secretAccessKey", Emulator.SECRET_ACCESS_KEY);
    try (Sandbox s =
        Sandbox.open(cache, "us-east-1", SandboxCloud.sources(List.of(b)), System.out::println)) {
      BaseRootfs base = new BaseRootfs(cache, "debian-12", "bookworm", "admin", b.packages());
      base.ensure(System.out::println);
      Path key = tmp.resolve("id_ed25519");
      Procs.check(
          List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()),
          Duration.ofSeconds(20));
      String pub = Files.readString(tmp.resolve("id_ed25519.pub")).strip();
      SandboxBuilder builder = SandboxBuilder.start(s, base, List.of(), List.of(pub), "awsb");
      int sshPort =
          SandboxForwarder.exposeOnHost(s, builder.namespace(), "127.0.0.1", 22, "awsb-ssh");
      try (AwsClients c =
          new AwsClients(
              new AwsSettings(null, "us-east-1", s.emulator().hostEndpoint(), null, null))) {
        c.ec2("us-east-1")
            .importKeyPair(
                r -> r.keyName("aws-path").publicKeyMaterial(SdkBytes.fromUtf8String(pub)));
        BakeRequest req =
            BakeRequest.of(out, List.of("debian-12"), "aws", "0.1.0-test")
                .withAws(null, "us-east-1", s.emulator().hostEndpoint())
                .withRegions(List.of("eu-west-1"))
                .withExtraVars(
                    Map.of(
                        "ssh_host", "127.0.0.1",
                        "ssh_port", Integer.toString(sshPort),
                        "ssh_keypair_name", "aws-path",
                        "ssh_private_key_file", key.toString(),
                        // the builder reaches the base's package repository: the online path
                        "offline", "false",
                        "polling_delay_seconds", "1"));
        BakeResult first =
            new Bakery().bake(req, BakeLog.of(l -> System.out.println("[aws] " + l)));
        assertThat(first.images()).hasSize(2);
        BakeResult.Image primary = first.images().get(0);
        BakeResult.Image copy = first.images().get(1);
        assertThat(primary.built()).isTrue();
        assertThat(copy.region()).isEqualTo("eu-west-1");
        // the copy carries the tags too (CopyImage does not copy them)
        var ec2eu = c.ec2("eu-west-1");
        var copied = ec2eu.describeImages(r -> r.imageIds(copy.amiId())).images().get(0);
        assertThat(ImageCatalog.tags(copied))
            .containsEntry("kiln:bake-key", primary.bakeKey())
            .containsEntry("kiln:recipe", "debian-12");

        BakeResult second =
            new Bakery().bake(req, BakeLog.of(l -> System.out.println("[aws] " + l)));
        assertThat(second.images().get(0).built()).isFalse();
        assertThat(second.images().get(0).amiId()).isEqualTo(primary.amiId());
      }
    } finally {
      if (oldAk == null) {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
      }
    }
  }
}
