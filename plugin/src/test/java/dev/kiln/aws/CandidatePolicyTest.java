package dev.kiln.aws;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.spec.KilnSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

class CandidatePolicyTest {
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> statements(String json) {
    Map<String, Object> m = new Yaml().load(json);
    assertThat(m.get("Version")).isEqualTo("2012-10-17");
    return (List<Map<String, Object>>) m.get("Statement");
  }

  static List<Object> actions(String json) {
    return statements(json).stream()
        .flatMap(s -> ((List<Object>) s.get("Action")).stream())
        .toList();
  }

  @Test
  void readPolicyGrantsExactlyWhatTheKeyCommandAndSyncCall() throws Exception {
    KilnSpec spec =
        KilnSpec.parse(
            Map.of(
                "recipes",
                "debian-12",
                "access.iamGroups",
                "ssh-users,ssh-admins",
                "access.sudoGroups",
                "ssh-admins"),
            Path.of("."));
    String p = CandidatePolicy.instancePolicy(spec.access());
    assertThat(actions(p))
        .containsExactlyInAnyOrder(
            "iam:ListSSHPublicKeys",
            "iam:GetSSHPublicKey",
            "iam:GetUser",
            "iam:ListGroupsForUser",
            "iam:GetGroup",
            "iam:ListUsers");
    assertThat(p).contains("arn:aws:iam::*:group/ssh-users", "arn:aws:iam::*:group/ssh-admins");
    assertThat(p).doesNotContain("sts:AssumeRole", "\"iam:*\"");
    assertThat(statements(p)).allSatisfy(s -> assertThat(s.get("Effect")).isEqualTo("Allow"));
  }

  @Test
  void withAssumeRoleTheInstanceRoleMayOnlyAssumeIt() throws Exception {
    String role = "arn:aws:iam::111122223333:role/kiln-ssh-reader";
    KilnSpec spec =
        KilnSpec.parse(Map.of("recipes", "debian-12", "access.assumeRole", role), Path.of("."));
    String p = CandidatePolicy.instancePolicy(spec.access());
    assertThat(actions(p)).containsExactly("sts:AssumeRole");
    assertThat(p).contains(role);
    assertThat(actions(CandidatePolicy.readPolicy(spec.access())))
        .contains("iam:GetSSHPublicKey")
        .doesNotContain("sts:AssumeRole");
  }

  @Test
  void sessionManagerAddsAmazonSsmManagedInstanceCoresActionsToTheInstanceRole() throws Exception {
    String role = "arn:aws:iam::111122223333:role/kiln-ssh-reader";
    for (Map<String, String> raw :
        List.of(
            Map.of("recipes", "debian-12", "access.sessionManager", "true"),
            Map.of(
                "recipes",
                "debian-12",
                "access.sessionManager",
                "true",
                "access.assumeRole",
                role))) {
      KilnSpec spec = KilnSpec.parse(raw, Path.of("."));
      String p = CandidatePolicy.instancePolicy(spec.access(), spec.waysIn().sessionManager());
      assertThat(actions(p))
          .contains(
              "ssm:UpdateInstanceInformation",
              "ssmmessages:CreateControlChannel",
              "ssmmessages:OpenDataChannel",
              "ec2messages:GetMessages")
          .hasSize(
              CandidatePolicy.SSM_MANAGED_INSTANCE_CORE.size()
                  + (raw.containsKey("access.assumeRole")
                      ? 1
                      : actions(CandidatePolicy.readPolicy(spec.access())).size()));
      // the assumed role reads IAM only
      assertThat(actions(CandidatePolicy.readPolicy(spec.access())))
          .noneMatch(a -> String.valueOf(a).startsWith("ssm"));
    }
    KilnSpec off = KilnSpec.parse(Map.of("recipes", "debian-12"), Path.of("."));
    assertThat(CandidatePolicy.instancePolicy(off.access(), off.waysIn().sessionManager()))
        .isEqualTo(CandidatePolicy.instancePolicy(off.access()))
        .doesNotContain("ssm:");
  }
}
