package dev.kiln.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.aws.AwsClients;
import dev.kiln.aws.AwsSettings;
import dev.kiln.exec.Procs;
import dev.kiln.sandbox.Emulator;
import dev.kiln.sandbox.Sandbox;
import dev.kiln.sandbox.SourceImage;
import dev.kiln.spec.KilnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Publish and rollback through the SDK against the emulator (the code path AWS takes), with images
 * in the emulator's catalogue: Kiln's own checks refuse what the emulator would accept ({@code
 * not-an-ami}, an image that does not exist, an image never verified) before anything is written;
 * versions, labels and launch template versions are asserted as the emulator reports them; and the
 * sandbox record replays them into a fresh emulator (a later Maven run).
 */
class PublisherEmulatorTest {
  @TempDir Path tmp;

  static final String VERIFIED = "sha256:" + "ab".repeat(32);

  record Env(Sandbox sandbox, AwsClients clients, Ec2Client ec2, SsmClient ssm) {
    void close() {
      ec2.close();
      ssm.close();
      clients.close();
      sandbox.close();
    }
  }

  static Env open(Path cache, List<SourceImage> images) throws KilnException {
    Sandbox s = Sandbox.open(cache, "us-east-1", images, System.out::println);
    AwsClients c =
        new AwsClients(
            new AwsSettings(
                null,
                "us-east-1",
                s.emulator().hostEndpoint(),
                Emulator.ACCESS_KEY_ID,
                Emulator.SECRET_ACCESS_KEY));
    return new Env(s, c, c.ec2("us-east-1"), c.ssm("us-east-1"));
  }

  static Publisher.Request req(String ami, Path reports) {
    return new Publisher.Request(
        "debian-12",
        ami,
        "/kiln/test/app/debian-12",
        "latest",
        "app-template",
        true,
        Duration.ofSeconds(10),
        reports,
        true);
  }

  @Test
  void publishChecksVersionsLabelsTemplatesRollbackAndReplayIntoAFreshEmulator() throws Exception {
    assumeTrue(Procs.isRoot(), "the sandbox needs root");
    assumeTrue(
        Procs.which(
                "moto_server", List.of(Path.of(System.getProperty("user.home"), ".pyenv", "shims")))
            != null,
        "moto_server not installed");
    Path cache = tmp.resolve("cache");
    List<SourceImage> imgs =
        List.of(
            SourceImage.forFilter(List.of("123456789012"), "kiln-a-*", "x86_64"),
            SourceImage.forFilter(List.of("123456789012"), "kiln-b-*", "x86_64"),
            SourceImage.forFilter(List.of("123456789012"), "kiln-c-*", "x86_64"));
    String a = imgs.get(0).id();
    String b = imgs.get(1).id();
    String unverified = imgs.get(2).id();
    Path reports = tmp.resolve("report");
    List<String> log = new ArrayList<>();
    Env env = open(cache, imgs);
    try {
      env.ec2.createTags(r -> r.resources(a, b).tags(t -> t.key(VerifiedMark.TAG).value(VERIFIED)));
      Parameters params = new Parameters(env.ssm);
      Publisher p = new Publisher(env.ec2, params, log::add);

      // Kiln's checks: nothing is put for any of these
      assertThatThrownBy(() -> p.publish(req("not-an-ami", reports)))
          .satisfies(e -> assertThat(((KilnException) e).parameter()).contains("ami.id"));
      assertThatThrownBy(() -> p.publish(req("ami-0123456789abcdef0", reports)))
          .hasMessageContaining("does not exist");
      assertThatThrownBy(() -> p.publish(req(unverified, reports)))
          .hasMessageContaining("has not passed kiln:verify");
      assertThatThrownBy(
              () ->
                  p.publish(
                      new Publisher.Request(
                          "debian-12",
                          a,
                          "/kiln/x",
                          "aws-latest",
                          null,
                          false,
                          Duration.ofSeconds(5),
                          reports,
                          true)))
          .satisfies(e -> assertThat(((KilnException) e).parameter()).contains("publish.label"));
      assertThatThrownBy(
              () ->
                  p.publish(
                      new Publisher.Request(
                          "debian-12",
                          a,
                          "/ssm/x y",
                          "latest",
                          null,
                          false,
                          Duration.ofSeconds(5),
                          reports,
                          true)))
          .satisfies(
              e -> assertThat(((KilnException) e).parameter()).contains("publish.parameter"));
      assertThat(params.history("/kiln/test/app/debian-12")).isEmpty();
      assertThat(new Templates(env.ec2).find("app-template")).isEmpty();

      Publisher.Published p1 = p.publish(req(a, reports));
      assertThat(p1.version()).isEqualTo(1);
      assertThat(p1.launchTemplateVersion()).isEqualTo(1L);
      assertThat(p1.verifiedBy()).contains(VERIFIED);
      // a republish of the same image adds no version
      assertThat(p.publish(req(a, reports)).version()).isEqualTo(1);
      Publisher.Published p2 = p.publish(req(b, reports));
      assertThat(p2.version()).isEqualTo(2);
      assertThat(p2.launchTemplateVersion()).isEqualTo(2L);
      assertThat(params.history(p1.parameter()))
          .extracting(v -> v.version() + " " + v.value() + " " + v.labels())
          .containsExactly("1 " + a + " []", "2 " + b + " [latest]");
      List<Templates.Version> lt = new Templates(env.ec2).versions(p2.launchTemplateId());
      assertThat(lt)
          .extracting(v -> v.version() + " " + v.imageId() + " " + v.isDefault())
          .containsExactly("1 " + a + " false", "2 " + b + " true");

      Publisher.RolledBack rb = p.rollback(p1.parameter(), "latest", "app-template");
      assertThat(rb.toAmi()).isEqualTo(a);
      assertThat(rb.launchTemplateVersion()).isEqualTo(1L);
      assertThat(params.history(p1.parameter()))
          .extracting(v -> v.version() + " " + v.labels())
          .containsExactly("1 [latest]", "2 []");
      assertThat(new Templates(env.ec2).versions(p2.launchTemplateId()))
          .filteredOn(Templates.Version::isDefault)
          .extracting(Templates.Version::version)
          .containsExactly(1L);
      // nothing older than version 1 to go back to
      assertThatThrownBy(() -> p.rollback(p1.parameter(), "latest", "app-template"))
          .hasMessageContaining("no verified image older");

      new SandboxRecord(cache).save(env.ssm, env.ec2);
    } finally {
      env.close();
    }

    // a later run: a fresh emulator, the record replayed into it
    Env again = open(cache, imgs);
    try {
      new SandboxRecord(cache).restore(again.ssm, again.ec2);
      Parameters params = new Parameters(again.ssm);
      assertThat(params.history("/kiln/test/app/debian-12"))
          .extracting(v -> v.version() + " " + v.value() + " " + v.labels())
          .containsExactly("1 " + a + " [latest]", "2 " + b + " []");
      Templates t = new Templates(again.ec2);
      String id = t.find("app-template").orElseThrow().launchTemplateId();
      assertThat(t.versions(id))
          .extracting(v -> v.version() + " " + v.imageId() + " " + v.isDefault() + " " + v.byKiln())
          .containsExactly("1 " + a + " true true", "2 " + b + " false true");
      // the image store restores an image's tags in the sandbox; these synthetic images have none
      again.ec2.createTags(
          r -> r.resources(a, b).tags(x -> x.key(VerifiedMark.TAG).value(VERIFIED)));
      // publishing again after the rollback moves the label forward to the newest version
      Publisher.Published p3 = new Publisher(again.ec2, params, l -> {}).publish(req(b, reports));
      assertThat(p3.version()).isEqualTo(2);
      assertThat(params.history(p3.parameter()))
          .extracting(v -> v.version() + " " + v.labels())
          .containsExactly("1 []", "2 [latest]");
    } finally {
      again.close();
    }
  }
}
