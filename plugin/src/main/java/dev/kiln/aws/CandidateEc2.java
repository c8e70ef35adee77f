package dev.kiln.aws;

import dev.kiln.spec.Cidr;
import dev.kiln.spec.KilnException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.HttpTokensState;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceMetadataEndpointState;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;
import software.amazon.awssdk.services.ec2.model.IpPermission;
import software.amazon.awssdk.services.ec2.model.IpRange;
import software.amazon.awssdk.services.ec2.model.Ipv6Range;
import software.amazon.awssdk.services.ec2.model.ResourceType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagSpecification;

/**
 * A candidate instance in EC2: a security group that admits the SSH port only from the trusted
 * CIDRs, {@code RunInstances} with IMDSv2 required and an instance profile, everything tagged
 * {@code kiln:run-id}; and its removal.
 */
public final class CandidateEc2 {
  public static final String TAG_RUN_ID = "kiln:run-id";
  public static final String TAG_ROLE = "kiln:role";

  private CandidateEc2() {}

  /** What was created; {@code securityGroupId} is known before the instance. */
  public record Created(
      String instanceId, String securityGroupId, String publicIp, String privateIp) {
    /** The address to reach: public if any, else private. */
    public String host() {
      return publicIp != null && !publicIp.isBlank() ? publicIp : privateIp;
    }
  }

  /**
   * Refuses an empty list (naming {@code <hardening><trustedCidrs>}) and the whole world unless
   * {@code allowWorld}.
   */
  public static void checkCidrs(List<String> cidrs, boolean allowWorld) throws KilnException {
    if (cidrs.isEmpty()) {
      throw new KilnException(
          "hardening.trustedCidrs",
          "no trusted CIDRs: the candidate's security group would admit SSH from nowhere. Set the"
              + " networks allowed to reach port 22, such as 203.0.113.0/24",
          List.of(),
          null);
    }
    for (String c : cidrs) {
      String t = c.trim();
      // Parsed, not compared as text: 0.0.0.0/00, ::0/0 and 0.0.0.0/1 are the world too.
      Cidr.Network n = Cidr.parse(t);
      if (n == null) {
        throw KilnException.badParameter(
            "hardening.trustedCidrs", t, "an IPv4 or IPv6 network such as 203.0.113.0/24");
      }
      if ((n.hasHostBits() || n.tooWide() != null) && !allowWorld) {
        throw new KilnException(
            "hardening.trustedCidrs",
            "'"
                + dev.kiln.spec.Escape.value(t)
                + "' opens SSH to a large part of the Internet; list your networks instead, or set"
                + " <launch><allowWorld>true</allowWorld> (-Dkiln.launch.allowWorld=true) if you"
                + " really mean it",
            List.of(),
            null);
      }
    }
  }

  /**
   * Creates the security group and the instance and waits until it runs.
   *
   * @param onSecurityGroup called as soon as the group exists (so it is recorded for cleanup)
   */
  public static Created launch(
      Ec2Client ec2,
      String amiId,
      List<String> cidrs,
      int port,
      String instanceType,
      String subnetId,
      String instanceProfile,
      String runId,
      Duration timeout,
      Consumer<String> onSecurityGroup,
      Consumer<String> log)
      throws KilnException {
    String sg = null;
    try {
      String vpcId = null;
      if (subnetId != null && !subnetId.isBlank()) {
        vpcId = ec2.describeSubnets(r -> r.subnetIds(subnetId)).subnets().get(0).vpcId();
      }
      String vpc = vpcId;
      List<Tag> tags =
          List.of(
              tag(TAG_RUN_ID, runId),
              tag(TAG_ROLE, "candidate"),
              tag("Name", "kiln-candidate-" + runId));
      sg =
          ec2.createSecurityGroup(
                  r -> {
                    r.groupName("kiln-candidate-" + runId)
                        .description("Kiln candidate " + runId + ": SSH from trusted CIDRs only")
                        .tagSpecifications(
                            TagSpecification.builder()
                                .resourceType(ResourceType.SECURITY_GROUP)
                                .tags(tags)
                                .build());
                    if (vpc != null) {
                      r.vpcId(vpc);
                    }
                  })
              .groupId();
      onSecurityGroup.accept(sg);
      List<IpRange> v4 = new ArrayList<>();
      List<Ipv6Range> v6 = new ArrayList<>();
      for (String c : cidrs) {
        if (c.contains(":")) {
          v6.add(Ipv6Range.builder().cidrIpv6(c.trim()).description("kiln trusted").build());
        } else {
          v4.add(IpRange.builder().cidrIp(c.trim()).description("kiln trusted").build());
        }
      }
      String group = sg;
      ec2.authorizeSecurityGroupIngress(
          r ->
              r.groupId(group)
                  .ipPermissions(
                      IpPermission.builder()
                          .ipProtocol("tcp")
                          .fromPort(port)
                          .toPort(port)
                          .ipRanges(v4)
                          .ipv6Ranges(v6)
                          .build()));
      log.accept("  security group " + sg + ": tcp/" + port + " from " + String.join(", ", cidrs));
      String type = instanceType == null || instanceType.isBlank() ? "t3.micro" : instanceType;
      Instance started =
          ec2.runInstances(
                  r -> {
                    r.imageId(amiId)
                        .instanceType(type)
                        .minCount(1)
                        .maxCount(1)
                        .securityGroupIds(group)
                        .metadataOptions(
                            m ->
                                m.httpTokens(HttpTokensState.REQUIRED)
                                    .httpEndpoint(InstanceMetadataEndpointState.ENABLED)
                                    .httpPutResponseHopLimit(1))
                        .tagSpecifications(
                            TagSpecification.builder()
                                .resourceType(ResourceType.INSTANCE)
                                .tags(tags)
                                .build(),
                            TagSpecification.builder()
                                .resourceType(ResourceType.VOLUME)
                                .tags(tags)
                                .build());
                    if (subnetId != null && !subnetId.isBlank()) {
                      r.subnetId(subnetId);
                    }
                    if (instanceProfile != null && !instanceProfile.isBlank()) {
                      r.iamInstanceProfile(
                          p -> {
                            if (instanceProfile.startsWith("arn:")) {
                              p.arn(instanceProfile);
                            } else {
                              p.name(instanceProfile);
                            }
                          });
                    }
                  })
              .instances()
              .get(0);
      String id = started.instanceId();
      log.accept("  instance " + id + " started (IMDSv2 required), waiting until it runs");
      ec2.waiter()
          .waitUntilInstanceRunning(
              r -> r.instanceIds(id), w -> w.waitTimeout(timeout).maxAttempts(Integer.MAX_VALUE));
      Instance running =
          ec2.describeInstances(r -> r.instanceIds(id)).reservations().get(0).instances().get(0);
      return new Created(id, sg, running.publicIpAddress(), running.privateIpAddress());
    } catch (SdkException e) {
      throw new KilnException("cannot launch the candidate in EC2: " + e.getMessage(), e);
    }
  }

  /** Terminates the instance (waiting until it is gone) and deletes the group; idempotent. */
  public static List<String> terminate(
      Ec2Client ec2, String instanceId, String securityGroupId, Duration timeout) {
    List<String> removed = new ArrayList<>();
    boolean instanceLeft = false;
    if (instanceId != null) {
      try {
        var state =
            ec2.describeInstances(r -> r.instanceIds(instanceId)).reservations().stream()
                .flatMap(x -> x.instances().stream())
                .map(i -> i.state().name())
                .findFirst()
                .orElse(InstanceStateName.TERMINATED);
        if (state != InstanceStateName.TERMINATED) {
          ec2.terminateInstances(r -> r.instanceIds(instanceId));
          ec2.waiter()
              .waitUntilInstanceTerminated(
                  r -> r.instanceIds(instanceId),
                  w -> w.waitTimeout(timeout).maxAttempts(Integer.MAX_VALUE));
          removed.add("instance " + instanceId);
        }
      } catch (SdkException e) {
        if (!String.valueOf(e.getMessage()).contains("InvalidInstanceID")) {
          removed.add("instance " + instanceId + " NOT removed: " + e.getMessage());
          instanceLeft = true;
        }
      }
    }
    if (securityGroupId != null && instanceLeft) {
      // EC2 refuses to delete a group an instance still uses: no point in a minute of retries.
      removed.add(
          "security group " + securityGroupId + " NOT removed: its instance is still there");
    } else if (securityGroupId != null) {
      for (int i = 0; i < 30; i++) {
        try {
          ec2.deleteSecurityGroup(r -> r.groupId(securityGroupId));
          removed.add("security group " + securityGroupId);
          break;
        } catch (SdkException e) {
          String m = String.valueOf(e.getMessage());
          if (m.contains("InvalidGroup.NotFound") || m.contains("does not exist")) {
            break;
          }
          if (!m.contains("DependencyViolation") || i == 29) {
            removed.add("security group " + securityGroupId + " NOT removed: " + m);
            break;
          }
          try {
            Thread.sleep(2000);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      }
    }
    return removed;
  }

  private static Tag tag(String k, String v) {
    return Tag.builder().key(k).value(v).build();
  }
}
