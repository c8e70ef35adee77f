package dev.kiln.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.cloud.Candidate;
import dev.kiln.launch.LaunchRequest;
import dev.kiln.launch.Launched;
import dev.kiln.launch.Launcher;
import dev.kiln.spec.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.AttributeBooleanValue;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * The AWS launch path against moto on host loopback: the calls and their arguments (IMDSv2
 * required, security group open to the trusted CIDRs only, run-id tags, instance profile) and the
 * cleanup. The fake instance addresses are never dialled (the banner wait is replaced).
 */
class CandidateEc2Test {
  static LoopbackMoto moto;
  static AwsClients clients;
  static Ec2Client ec2;
  @TempDir Path tmp;

  @BeforeAll
  static void startMoto() throws Exception {
    moto = LoopbackMoto.start();
    clients =
        new AwsClients(new AwsSettings(null, "us-east-1", moto.endpoint(), "AKIATEST", "secret"));
    ec2 = clients.ec2("us-east-1");
  }

  @AfterAll
  static void stopMoto() {
    if (ec2 != null) {
      ec2.close();
      clients.close();
    }
    if (moto != null) {
      moto.close();
    }
  }

  @Test
  void refusesNoCidrsAndTheWholeWorld() {
    assertThatThrownBy(() -> CandidateEc2.checkCidrs(List.of(), false))
        .isInstanceOf(KilnException.class)
        .satisfies(
            e -> assertThat(((KilnException) e).parameter()).contains("hardening.trustedCidrs"));
    assertThatThrownBy(() -> CandidateEc2.checkCidrs(List.of("10.0.0.0/8", "0.0.0.0/0"), false))
        .hasMessageContaining("allowWorld");
    assertThatThrownBy(() -> CandidateEc2.checkCidrs(List.of("::/0"), false))
        .hasMessageContaining("::/0");
    // The guard compares parsed networks: none of these spellings of "everyone" gets past it.
    for (String world : List.of("0.0.0.0/1", "128.0.0.0/1", "::0/0", "10.0.0.0/0", "0.0.0.0/00")) {
      assertThatThrownBy(() -> CandidateEc2.checkCidrs(List.of(world), false))
          .as(world)
          .isInstanceOf(KilnException.class);
    }
  }

  @Test
  void worldIsAcceptedOnlyWhenAllowed() throws Exception {
    CandidateEc2.checkCidrs(List.of("0.0.0.0/0", "::/0"), true);
    CandidateEc2.checkCidrs(List.of("203.0.113.0/24"), false);
  }

  @Test
  void launchesWithImdsV2TrustedCidrsAndTagsThenCleansUp() throws Exception {
    try (var iam = clients.iam()) {
      iam.createRole(
          r ->
              r.roleName("kiln-ssh-reader")
                  .assumeRolePolicyDocument(
                      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}"));
      iam.createInstanceProfile(r -> r.instanceProfileName("kiln-ssh-reader"));
      iam.addRoleToInstanceProfile(
          r -> r.instanceProfileName("kiln-ssh-reader").roleName("kiln-ssh-reader"));
    }
    List<String> sgSeen = new ArrayList<>();
    CandidateEc2.Created c =
        CandidateEc2.launch(
            ec2,
            "ami-12345678",
            List.of("203.0.113.0/24", "2001:db8::/32"),
            22,
            "t3.micro",
            null,
            "kiln-ssh-reader",
            "run-test-1",
            Duration.ofSeconds(30),
            sgSeen::add,
            l -> {});
    assertThat(sgSeen).containsExactly(c.securityGroupId());
    Instance i =
        ec2.describeInstances(r -> r.instanceIds(c.instanceId()))
            .reservations()
            .get(0)
            .instances()
            .get(0);
    assertThat(i.metadataOptions().httpTokens()).isEqualTo(HttpTokensState.REQUIRED);
    assertThat(i.imageId()).isEqualTo("ami-12345678");
    assertThat(i.tags()).contains(Tag.builder().key("kiln:run-id").value("run-test-1").build());
    assertThat(i.securityGroups()).anyMatch(g -> g.groupId().equals(c.securityGroupId()));
    assertThat(i.iamInstanceProfile().arn()).endsWith("instance-profile/kiln-ssh-reader");
    SecurityGroup sg =
        ec2.describeSecurityGroups(r -> r.groupIds(c.securityGroupId())).securityGroups().get(0);
    assertThat(sg.tags()).contains(Tag.builder().key("kiln:run-id").value("run-test-1").build());
    assertThat(sg.ipPermissions()).hasSize(1);
    var perm = sg.ipPermissions().get(0);
    assertThat(perm.fromPort()).isEqualTo(22);
    assertThat(perm.toPort()).isEqualTo(22);
    assertThat(perm.ipRanges()).extracting(r -> r.cidrIp()).containsExactly("203.0.113.0/24");
    assertThat(perm.ipv6Ranges()).extracting(r -> r.cidrIpv6()).containsExactly("2001:db8::/32");

    List<String> removed =
        CandidateEc2.terminate(ec2, c.instanceId(), c.securityGroupId(), Duration.ofSeconds(30));
    assertThat(removed)
        .containsExactly("instance " + c.instanceId(), "security group " + c.securityGroupId());
    Instance gone =
        ec2.describeInstances(r -> r.instanceIds(c.instanceId()))
            .reservations()
            .get(0)
            .instances()
            .get(0);
    assertThat(gone.state().name()).isEqualTo(InstanceStateName.TERMINATED);
    assertThat(
            ec2.describeSecurityGroups(
                    r ->
                        r.filters(
                            Filter.builder().name("group-id").values(c.securityGroupId()).build()))
                .securityGroups())
        .isEmpty();
    // idempotent
    assertThat(
            CandidateEc2.terminate(
                ec2, c.instanceId(), c.securityGroupId(), Duration.ofSeconds(30)))
        .isEmpty();
  }

  @Test
  void launcherRecordsTheAwsCandidateAndTerminateRemovesIt() throws Exception {
    Path out = tmp.resolve("target/kiln");
    List<String> dialled = new ArrayList<>();
    Launched l =
        launchFromBake(
            new Launcher((host, port, timeout, log) -> dialled.add(host + ":" + port)),
            out,
            "run-test-2");
    assertThat(l.cloud()).isEqualTo("aws");
    assertThat(l.amiId()).isEqualTo("ami-0badc0de");
    assertThat(dialled).containsExactly(l.host() + ":22");
    Candidate rec = Candidate.read(out.resolve(Launcher.RECORD)).orElseThrow();
    assertThat(rec.state()).isEqualTo(Candidate.RUNNING);
    assertThat(rec.instanceId()).isEqualTo(l.instanceId());
    assertThat(rec.aws().securityGroupId()).startsWith("sg-");
    assertThat(Files.readString(out.resolve(Launcher.PROPERTIES)))
        .contains("kiln.instance.id=" + l.instanceId(), "kiln.instance.port=22");
    List<String> removed = Launcher.terminate(out, System.out::println);
    assertThat(removed).anyMatch(x -> x.startsWith("instance " + l.instanceId()));
    assertThat(removed).anyMatch(x -> x.startsWith("security group sg-"));
    assertThat(Launcher.terminate(out, System.out::println)).isEmpty();
    assertThat(out.resolve(Launcher.PROPERTIES)).doesNotExist();
  }

  /**
   * EC2 refuses to terminate an instance with termination protection (moto enforces it as EC2
   * does): terminate fails naming what is left, keeps the records as they were, and removes the
   * candidate on the next try once the protection is off.
   */
  @Test
  void anInstanceEc2WillNotTerminateKeepsItsRecordsAndFailsTerminate() throws Exception {
    Path out = tmp.resolve("target/kiln");
    Launched l = launchFromBake(new Launcher((h, p, t, log) -> {}), out, "run-test-4");
    ec2.modifyInstanceAttribute(
        r ->
            r.instanceId(l.instanceId())
                .disableApiTermination(AttributeBooleanValue.builder().value(true).build()));
    Candidate before = Candidate.read(out.resolve(Launcher.RECORD)).orElseThrow();

    assertThatThrownBy(() -> Launcher.terminate(out, System.out::println))
        .isInstanceOf(KilnException.class)
        .hasMessageContaining("instance " + l.instanceId() + " NOT removed")
        .hasMessageContaining("security group " + before.aws().securityGroupId() + " NOT removed")
        .hasMessageContaining("kiln:terminate tries them again");
    Candidate kept = Candidate.read(out.resolve(Launcher.RECORD)).orElseThrow();
    assertThat(kept.state()).isEqualTo(Candidate.RUNNING);
    assertThat(Path.of(kept.cacheRecord())).exists();
    assertThat(out.resolve(Launcher.PROPERTIES)).exists();
    assertThat(state(l.instanceId())).isEqualTo(InstanceStateName.RUNNING);

    ec2.modifyInstanceAttribute(
        r ->
            r.instanceId(l.instanceId())
                .disableApiTermination(AttributeBooleanValue.builder().value(false).build()));
    List<String> removed = Launcher.terminate(out, System.out::println);
    assertThat(removed)
        .containsExactly(
            "instance " + l.instanceId(), "security group " + before.aws().securityGroupId());
    assertThat(state(l.instanceId())).isEqualTo(InstanceStateName.TERMINATED);
    assertThat(Candidate.read(out.resolve(Launcher.RECORD)).orElseThrow().isTerminated()).isTrue();
    assertThat(Path.of(kept.cacheRecord())).doesNotExist();
    assertThat(out.resolve(Launcher.PROPERTIES)).doesNotExist();
  }

  /** Launches, on moto, the image a bake.json under {@code out} names (credentials for moto). */
  private static Launched launchFromBake(Launcher launcher, Path out, String runId)
      throws Exception {
    Files.createDirectories(out);
    Files.writeString(
        out.resolve("bake.json"),
        "{\"cloud\": \"aws\", \"amiId\": \"ami-0badc0de\", \"images\": []}");
    LaunchRequest req =
        new LaunchRequest(
            out,
            null,
            null,
            List.of("198.51.100.0/24"),
            false,
            Duration.ofSeconds(30),
            true,
            runId,
            22,
            null,
            null,
            null,
            null,
            "us-east-1",
            moto.endpoint(),
            null);
    var env = System.getenv();
    assumeTrue(
        env.get("AWS_ACCESS_KEY_ID") == null || env.get("AWS_ACCESS_KEY_ID").equals("AKIATEST"));
    System.setProperty("aws.accessKeyId", "AKIATEST");
    System.setProperty("aws.secretAccessKey", "secret");
    return launcher.launch(req, System.out::println);
  }

  private static InstanceStateName state(String instanceId) {
    return ec2.describeInstances(r -> r.instanceIds(instanceId))
        .reservations()
        .get(0)
        .instances()
        .get(0)
        .state()
        .name();
  }

  @Test
  void launcherRefusesTheWorldBeforeCreatingAnything() throws Exception {
    Path out = tmp.resolve("target/kiln");
    LaunchRequest req =
        new LaunchRequest(
            out,
            "aws",
            "ami-1",
            List.of("0.0.0.0/0"),
            false,
            Duration.ofSeconds(5),
            true,
            "run-test-3",
            22,
            null,
            null,
            null,
            null,
            "us-east-1",
            moto.endpoint(),
            null);
    int before = ec2.describeSecurityGroups().securityGroups().size();
    assertThatThrownBy(() -> new Launcher((h, p, t, l) -> {}).launch(req, l -> {}))
        .hasMessageContaining("0.0.0.0/0");
    assertThat(ec2.describeSecurityGroups().securityGroups()).hasSize(before);
  }
}
