package dev.kiln.publish;

import dev.kiln.cloud.Cloud;
import dev.kiln.cloud.Clouds;
import dev.kiln.cloud.SandboxCloud;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import java.nio.file.Path;
import java.util.function.Consumer;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * The SDK clients publish, rollout, rollback and prune talk to: the {@link Cloud}'s API (AWS, or
 * the sandbox's emulator with the sandbox's parameters and launch templates replayed into it,
 * {@link SandboxRecord}); in the sandbox {@link #save()} records them again after a change.
 */
final class ReleaseCloud implements AutoCloseable {
  final Cloud cloud;
  final String name;
  final String region;

  /** The sandbox's cache directory; null on AWS. */
  final Path cacheDir;

  private final Cloud.Api api;
  final Ec2Client ec2;
  final SsmClient ssm;
  private AutoScalingClient asg;

  private ReleaseCloud(Cloud cloud, Cloud.Api api) {
    this.cloud = cloud;
    this.name = cloud.name();
    this.api = api;
    this.region = api.region();
    this.cacheDir = cloud instanceof SandboxCloud s ? s.cacheDir() : null;
    this.ec2 = api.clients().ec2(region);
    this.ssm = api.clients().ssm(region);
  }

  static ReleaseCloud open(CloudSettings c, Consumer<String> log) throws KilnException {
    return open(Clouds.choose(c), log);
  }

  static ReleaseCloud open(Cloud cloud, Consumer<String> log) throws KilnException {
    Cloud.Api api = cloud.api(log);
    try {
      ReleaseCloud rc = new ReleaseCloud(cloud, api);
      if (rc.isSandbox()) {
        new SandboxRecord(rc.cacheDir).restore(rc.ssm, rc.ec2);
      }
      return rc;
    } catch (KilnException | RuntimeException e) {
      api.close();
      throw e;
    }
  }

  boolean isSandbox() {
    return cacheDir != null;
  }

  synchronized AutoScalingClient autoScaling() {
    if (asg == null) {
      asg = api.clients().autoScaling(region);
    }
    return asg;
  }

  /** Sandbox: records the emulator's parameters and launch templates. AWS: nothing to do. */
  void save() throws KilnException {
    if (isSandbox()) {
      new SandboxRecord(cacheDir).save(ssm, ec2);
    }
  }

  @Override
  public void close() {
    ec2.close();
    ssm.close();
    if (asg != null) {
      asg.close();
    }
    api.close();
  }
}
