package dev.kiln.publish;

import dev.kiln.render.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The IAM policy of the identity that runs kiln:verify's tag, kiln:publish, kiln:rollout,
 * kiln:rollback and kiln:prune's published-image check (a release pipeline's role), scoped to the
 * configured parameter. Instance refresh launches instances from the launch template under the
 * caller's permissions, hence RunInstances and PassRole to EC2 (for a template's instance profile).
 */
public final class ReleasePolicy {
  private ReleasePolicy() {}

  /** The policy document for {@code s}. */
  public static String document(ReleaseSettings s) {
    String name = s.parameter().replace(ReleaseSettings.RECIPE, "*");
    String arn = "arn:aws:ssm:*:*:parameter" + (name.startsWith("/") ? name : "/" + name);
    List<Object> st = new ArrayList<>();
    st.add(
        statement(
            "KilnPublishParameter",
            List.of(
                "ssm:PutParameter",
                "ssm:GetParameter",
                "ssm:GetParameterHistory",
                "ssm:LabelParameterVersion"),
            arn));
    st.add(statement("KilnListParameters", List.of("ssm:DescribeParameters"), "*"));
    st.add(
        statement(
            "KilnImagesAndTemplates",
            List.of(
                "ec2:DescribeImages",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribeLaunchTemplateVersions"),
            "*"));
    st.add(statement("KilnTagVerifiedImage", List.of("ec2:CreateTags"), "arn:aws:ec2:*::image/*"));
    st.add(
        statement(
            "KilnTemplateVersions",
            List.of("ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"),
            "arn:aws:ec2:*:*:launch-template/*"));
    st.add(
        statement(
            "KilnInstanceRefresh",
            List.of(
                "autoscaling:StartInstanceRefresh",
                "autoscaling:DescribeInstanceRefreshes",
                "ec2:RunInstances"),
            "*"));
    Map<String, Object> pass = statement("KilnPassTemplateRole", List.of("iam:PassRole"), "*");
    pass.put(
        "Condition", Map.of("StringEquals", Map.of("iam:PassedToService", "ec2.amazonaws.com")));
    st.add(pass);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Version", "2012-10-17");
    m.put("Statement", st);
    return Json.write(m);
  }

  private static Map<String, Object> statement(String sid, List<String> actions, String resource) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Sid", sid);
    m.put("Effect", "Allow");
    m.put("Action", actions);
    m.put("Resource", resource);
    return m;
  }
}
