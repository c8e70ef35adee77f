package dev.kiln.aws;

import dev.kiln.render.Json;
import dev.kiln.spec.Access;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The least-privilege IAM policies for the key command and the user sync on an instance: read SSH
 * keys, list users and read the authorized groups; with {@code assumeRole}, the instance role may
 * only assume that role, which holds the read permissions (typically in the account of the IAM
 * users).
 */
public final class CandidatePolicy {
  private CandidatePolicy() {}

  /** The policy the IAM-reading role needs (the instance role, or the assumed role). */
  public static String readPolicy(Access access) {
    return document(readStatements(access));
  }

  private static List<Object> readStatements(Access access) {
    Set<String> groups = new LinkedHashSet<>(access.iamGroups());
    groups.addAll(access.sudoGroups());
    List<Object> st = new ArrayList<>();
    st.add(
        statement(
            "KilnReadSshKeys",
            // GetUser: the key command checks that a name still belongs to the account's UserId
            List.of("iam:ListSSHPublicKeys", "iam:GetSSHPublicKey", "iam:GetUser"),
            List.of("arn:aws:iam::*:user/*")));
    st.add(
        statement(
            "KilnUserGroups", List.of("iam:ListGroupsForUser"), List.of("arn:aws:iam::*:user/*")));
    List<String> groupArns = new ArrayList<>();
    if (groups.isEmpty()) {
      groupArns.add("arn:aws:iam::*:group/*");
    } else {
      groups.forEach(g -> groupArns.add("arn:aws:iam::*:group/" + g));
    }
    st.add(statement("KilnReadGroups", List.of("iam:GetGroup"), groupArns));
    st.add(statement("KilnListUsers", List.of("iam:ListUsers"), List.of("*")));
    if (access.groupsFromTags()) {
      st.add(statement("KilnInstanceTags", List.of("ec2:DescribeTags"), List.of("*")));
    }
    return st;
  }

  /**
   * The actions of AWS's managed policy AmazonSSMManagedInstanceCore, which the SSM agent needs for
   * Session Manager ({@code <access><sessionManager>}).
   */
  static final List<String> SSM_MANAGED_INSTANCE_CORE =
      List.of(
          "ssm:DescribeAssociation",
          "ssm:GetDeployablePatchSnapshotForInstance",
          "ssm:GetDocument",
          "ssm:DescribeDocument",
          "ssm:GetManifest",
          "ssm:GetParameter",
          "ssm:GetParameters",
          "ssm:ListAssociations",
          "ssm:ListInstanceAssociations",
          "ssm:PutInventory",
          "ssm:PutComplianceItems",
          "ssm:PutConfigurePackageResult",
          "ssm:UpdateAssociationStatus",
          "ssm:UpdateInstanceAssociationStatus",
          "ssm:UpdateInstanceInformation",
          "ssmmessages:CreateControlChannel",
          "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel",
          "ssmmessages:OpenDataChannel",
          "ec2messages:AcknowledgeMessage",
          "ec2messages:DeleteMessage",
          "ec2messages:FailMessage",
          "ec2messages:GetEndpoint",
          "ec2messages:GetMessages",
          "ec2messages:SendReply");

  /** The instance role's policy: the read policy, or only sts:AssumeRole when a role is assumed. */
  public static String instancePolicy(Access access) {
    return instancePolicy(access, false);
  }

  /**
   * The instance role's policy; with {@code sessionManager} also AmazonSSMManagedInstanceCore's
   * actions (the SSM agent uses the instance role, never an assumed one).
   */
  public static String instancePolicy(Access access, boolean sessionManager) {
    List<Object> st = new ArrayList<>();
    if (access.assumeRole() == null || access.assumeRole().isBlank()) {
      st.addAll(readStatements(access));
    } else {
      st.add(
          statement("KilnAssumeReader", List.of("sts:AssumeRole"), List.of(access.assumeRole())));
      if (access.groupsFromTags()) {
        st.add(statement("KilnInstanceTags", List.of("ec2:DescribeTags"), List.of("*")));
      }
    }
    if (sessionManager) {
      st.add(statement("KilnSessionManager", SSM_MANAGED_INSTANCE_CORE, List.of("*")));
    }
    return document(st);
  }

  private static Map<String, Object> statement(
      String sid, List<String> actions, List<String> resources) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Sid", sid);
    m.put("Effect", "Allow");
    m.put("Action", actions);
    m.put("Resource", resources.size() == 1 ? resources.get(0) : resources);
    return m;
  }

  private static String document(List<Object> statements) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Version", "2012-10-17");
    m.put("Statement", statements);
    return Json.write(m);
  }
}
