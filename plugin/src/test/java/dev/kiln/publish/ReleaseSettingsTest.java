package dev.kiln.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.check.EffectiveSshd;
import dev.kiln.spec.InvalidParametersException;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.ParameterValues;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Release parameters, names, verification evidence and rollout batches: no cloud needed. */
class ReleaseSettingsTest {
  @TempDir Path tmp;

  @Test
  void defaults() throws Exception {
    ReleaseSettings s =
        ReleaseSettings.of(ParameterValues.parse(Map.of(), tmp), "com.example", "web");
    assertThat(s.parameterFor("debian-12")).isEqualTo("/kiln/com.example/web/debian-12");
    assertThat(s.label()).isEqualTo("latest");
    assertThat(s.launchTemplate()).isNull();
    assertThat(s.setDefault()).isFalse();
    assertThat(s.minHealthyPercentage()).isEqualTo(90);
    assertThat(s.maxHealthyPercentage()).isEqualTo(100);
    assertThat(s.keepPublished()).isEqualTo(5);
    assertThat(s.size()).isEqualTo(2);
  }

  @Test
  void everyBadValueIsReportedNamingItsParameter() {
    assertThatThrownBy(
            () ->
                ParameterValues.parse(
                    Map.of(
                        "publish.parameter", "/aws/x",
                        "publish.label", "1st",
                        "publish.launchTemplate", "a",
                        "rollout.group", "-x",
                        "rollout.minHealthyPercentage", "101",
                        "prune.keepPublished", "-1"),
                    tmp))
        .isInstanceOf(InvalidParametersException.class)
        .satisfies(
            e ->
                assertThat(((InvalidParametersException) e).problems())
                    .extracting(p -> p.parameter())
                    .containsExactlyInAnyOrder(
                        "publish.parameter",
                        "publish.label",
                        "publish.launchTemplate",
                        "rollout.group",
                        "rollout.minHealthyPercentage",
                        "prune.keepPublished"));
  }

  @Test
  void alarmsWithoutAutoRollbackAreRefused() throws Exception {
    ParameterValues v = ParameterValues.parse(Map.of("rollout.alarms", "cpu-high"), tmp);
    assertThatThrownBy(() -> ReleaseSettings.of(v, "g", "a"))
        .isInstanceOf(KilnException.class)
        .satisfies(e -> assertThat(((KilnException) e).parameter()).contains("rollout.alarms"));
    ParameterValues ok =
        ParameterValues.parse(
            Map.of("rollout.alarms", "cpu-high,5xx", "rollout.autoRollback", "true"), tmp);
    assertThat(ReleaseSettings.of(ok, "g", "a").alarms()).containsExactly("cpu-high", "5xx");
  }

  @Test
  void projectCoordinatesThatMakeABadParameterNameAreRefused() throws Exception {
    ParameterValues v = ParameterValues.parse(Map.of(), tmp);
    assertThatThrownBy(() -> ReleaseSettings.of(v, "ssm", "x y"))
        .satisfies(e -> assertThat(((KilnException) e).parameter()).contains("publish.parameter"));
  }

  @Test
  void hostileValuesAreEscapedInMessages() {
    assertThatThrownBy(() -> Names.amiId("ami.id", "ami-1\n[INFO] BUILD SUCCESS"))
        .isInstanceOf(KilnException.class)
        .hasMessageNotContaining("\n")
        .hasMessageContaining("\\u000a");
    assertThatThrownBy(() -> Names.parameter("publish.parameter", "/kiln/../../x y"))
        .isInstanceOf(KilnException.class);
    assertThatThrownBy(() -> Names.parameter("publish.parameter", "/SSM/x"))
        .isInstanceOf(KilnException.class);
    assertThatThrownBy(() -> Names.label("publish.label", "AWS-prod"))
        .isInstanceOf(KilnException.class);
    assertThatThrownBy(() -> Names.group("rollout.group", "../etc"))
        .isInstanceOf(KilnException.class);
  }

  @Test
  void amiIdsOfBothLengthsPassAndLookAlikesDoNot() throws Exception {
    assertThat(Names.amiId("ami.id", "ami-0123abcd")).isEqualTo("ami-0123abcd");
    assertThat(Names.amiId("ami.id", "ami-0123456789abcdef0")).isNotNull();
    for (String bad :
        new String[] {
          "not-an-ami", "ami-0123ABCD", "ami-0123", "ami-0123456789abcdef01", " ami-0123abcd"
        }) {
      assertThatThrownBy(() -> Names.amiId("ami.id", bad)).isInstanceOf(KilnException.class);
    }
  }

  static Path report(Path dir, String ami, int failures) throws Exception {
    Files.createDirectories(dir);
    Path f = dir.resolve(VerifiedMark.REPORT);
    Files.writeString(
        f,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"kiln-hardening\" tests=\"12\""
            + " failures=\""
            + failures
            + "\" errors=\"0\"><properties><property name=\"kiln.ami.id\" value=\""
            + ami
            + "\"/></properties></testsuite>\n",
        StandardCharsets.UTF_8);
    return f;
  }

  @Test
  void verificationByThisBuildsReportOrByTheTag() throws Exception {
    String ami = "ami-0123456789abcdef0";
    Path dir = tmp.resolve("report");
    assertThatThrownBy(() -> VerifiedMark.require(dir, ami, Map.of()))
        .hasMessageContaining("has not passed kiln:verify");
    assertThatThrownBy(() -> VerifiedMark.require(dir, ami, Map.of(VerifiedMark.TAG, "yes")))
        .hasMessageContaining("not a digest");
    String digest = "sha256:" + "0f".repeat(32);
    assertThat(VerifiedMark.require(dir, ami, Map.of(VerifiedMark.TAG, digest))).contains(digest);

    Path f = report(dir, ami, 0);
    assertThat(VerifiedMark.require(dir, ami, Map.of())).contains(VerifiedMark.digest(f));
    assertThat(VerifiedMark.digest(f)).matches("sha256:[0-9a-f]{64}");
    report(dir, ami, 2);
    // a failing report refuses the image even when an old tag says verified
    assertThatThrownBy(() -> VerifiedMark.require(dir, ami, Map.of(VerifiedMark.TAG, digest)))
        .hasMessageContaining("2 failed control(s)");
    // a report about another image is not evidence for this one
    report(dir, "ami-0aaaaaaaaaaaaaaaa", 0);
    assertThatThrownBy(() -> VerifiedMark.require(dir, ami, Map.of()))
        .hasMessageContaining("has not passed kiln:verify");
  }

  @Test
  void reportWithADoctypeIsRejected() throws Exception {
    Path dir = tmp.resolve("evil");
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve(VerifiedMark.REPORT),
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
            + "<testsuite tests=\"1\" failures=\"0\"><properties><property name=\"kiln.ami.id\""
            + " value=\"&e;\"/></properties></testsuite>");
    assertThatThrownBy(() -> VerifiedMark.require(dir, "ami-0123abcd", Map.of()))
        .hasMessageContaining("cannot read the report");
  }

  @Test
  void maxHealthyAboveMinPlus100IsRefusedNamingIt() {
    assertThatThrownBy(
            () ->
                ReleaseSettings.of(
                    ParameterValues.parse(
                        Map.of(
                            "rollout.minHealthyPercentage", "90",
                            "rollout.maxHealthyPercentage", "200"),
                        tmp),
                    "com.example",
                    "web"))
        .isInstanceOf(KilnException.class)
        .satisfies(
            e ->
                assertThat(((KilnException) e).parameter())
                    .contains("rollout.maxHealthyPercentage"))
        .hasMessageContaining("minHealthyPercentage");
    assertThatThrownBy(
            () -> ParameterValues.parse(Map.of("rollout.maxHealthyPercentage", "99"), tmp))
        .isInstanceOf(InvalidParametersException.class);
  }

  @Test
  void batchesKeepTheMinimumHealthy() {
    assertThat(SandboxRollout.batchSize(3, 90, 100)).isEqualTo(1);
    assertThat(SandboxRollout.batchSize(2, 50, 100)).isEqualTo(1);
    assertThat(SandboxRollout.batchSize(4, 50, 100)).isEqualTo(2);
    assertThat(SandboxRollout.batchSize(10, 0, 100)).isEqualTo(10);
    assertThat(SandboxRollout.batchSize(3, 100, 100)).isEqualTo(1);
    // Above 100, the extra capacity is what a batch may add before removing: 3 × 190% = 5, keep 3.
    assertThat(SandboxRollout.batchSize(3, 90, 190)).isEqualTo(2);
    assertThat(SandboxRollout.batchSize(3, 100, 200)).isEqualTo(3);
    assertThat(SandboxRollout.batchSize(4, 50, 150)).isEqualTo(4);
    assertThat(SandboxRollout.batchSize(5, 100, 110)).isEqualTo(1);
  }

  @Test
  void healthChecksTheSeedRequirementsOfTheEffectiveConfiguration() {
    String good =
        "permitrootlogin no\npasswordauthentication no\nkbdinteractiveauthentication no\n"
            + "permitemptypasswords no\nauthenticationmethods publickey\n";
    assertThat(EffectiveSshd.invariantViolations(good)).isEmpty();
    assertThat(
            EffectiveSshd.invariantViolations(
                good.replace("permitrootlogin no", "permitrootlogin yes")))
        .containsExactly("permitrootlogin is 'yes', expected 'no'");
    assertThat(EffectiveSshd.invariantViolations("")).hasSize(5);
  }

  @Test
  void releasePolicyIsScopedToTheParameter() throws Exception {
    String doc =
        ReleasePolicy.document(
            ReleaseSettings.of(ParameterValues.parse(Map.of(), tmp), "com.example", "web"));
    assertThat(doc)
        .contains("arn:aws:ssm:*:*:parameter/kiln/com.example/web/*")
        .contains(
            "ssm:PutParameter", "ssm:LabelParameterVersion", "autoscaling:StartInstanceRefresh")
        .contains("ec2:CreateLaunchTemplateVersion", "iam:PassedToService");
  }
}
