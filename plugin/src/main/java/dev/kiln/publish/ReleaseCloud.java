package dev.kiln.publish;

import dev.kiln.aws.AwsClients;
import dev.kiln.aws.AwsSettings;
import dev.kiln.bake.Bakery;
import dev.kiln.sandbox.Emulator;
import dev.kiln.sandbox.Sandbox;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * The SDK clients publish, rollout, rollback and prune talk to: AWS, or the sandbox's emulator with
 * the sandbox's parameters and launch templates replayed into it ({@link SandboxRecord}); in the
 * sandbox {@link #save()} records them again after a change.
 */
final class ReleaseCloud implements AutoCloseable {
  final String name;
  final String region;
  final Path cacheDir;
  private final Sandbox sandbox;
  private final AwsClients clients;
  final Ec2Client ec2;
  final SsmClient ssm;
  private AutoScalingClient asg;

  private ReleaseCloud(
      String name, String region, Path cacheDir, Sandbox sandbox, AwsClients clients)
      throws KilnException {
    this.name = name;
    this.region = region;
    this.cacheDir = cacheDir;
    this.sandbox = sandbox;
    this.clients = clients;
    this.ec2 = clients.ec2(region);
    this.ssm = clients.ssm(region);
  }

  static String cloudOf(CloudSettings c) {
    return c.cloud() == null || c.cloud().isBlank() ? Bakery.defaultCloud() : c.cloud();
  }

  static Path cacheDirOf(CloudSettings c) {
    return c.sandboxCacheDir() != null ? c.sandboxCacheDir() : SandboxSettings.defaultCacheDir();
  }

  static ReleaseCloud open(CloudSettings c, Consumer<String> log) throws KilnException {
    String cloud = cloudOf(c);
    if (cloud.equals("aws")) {
      AwsClients clients =
          new AwsClients(
              new AwsSettings(c.awsProfile(), c.awsRegion(), c.awsEndpoint(), null, null));
      try {
        return new ReleaseCloud("aws", clients.region(), null, null, clients);
      } catch (KilnException | RuntimeException e) {
        clients.close();
        throw e;
      }
    }
    Path cache = cacheDirOf(c);
    String region = c.awsRegion() != null ? c.awsRegion() : "us-east-1";
    Sandbox s = Sandbox.open(cache, region, List.of(), log);
    AwsClients clients = null;
    try {
      clients =
          new AwsClients(
              new AwsSettings(
                  null,
                  region,
                  s.emulator().hostEndpoint(),
                  Emulator.ACCESS_KEY_ID,
                  Emulator.SECRET_ACCESS_KEY));
      ReleaseCloud rc = new ReleaseCloud("sandbox", region, s.cacheDir(), s, clients);
      new SandboxRecord(rc.cacheDir).restore(rc.ssm, rc.ec2);
      return rc;
    } catch (KilnException | RuntimeException e) {
      if (clients != null) {
        clients.close();
      }
      s.close();
      throw e;
    }
  }

  boolean isSandbox() {
    return sandbox != null;
  }

  synchronized AutoScalingClient autoScaling() {
    if (asg == null) {
      asg = clients.autoScaling(region);
    }
    return asg;
  }

  /** Sandbox: records the emulator's parameters and launch templates. AWS: nothing to do. */
  void save() throws KilnException {
    if (sandbox != null) {
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
    clients.close();
    if (sandbox != null) {
      sandbox.close();
    }
  }
}
