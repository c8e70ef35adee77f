package dev.kiln.aws;

import static dev.kiln.aws.ImageCatalog.TAG_BAKE_KEY;
import static dev.kiln.aws.ImageCatalog.TAG_RUN_ID;
import static dev.kiln.aws.ImageCatalog.filter;
import static dev.kiln.aws.ImageCatalog.sleepQuietly;
import static dev.kiln.aws.ImageCatalog.snapshots;
import static dev.kiln.aws.ImageCatalog.tags;

import dev.kiln.spec.KilnException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.KeyPairInfo;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;

/** What a failed or interrupted bake left in one region, found by its run id, and removed. */
public final class RunCleanup {
  private final ImageCatalog catalog;
  private final Ec2Client ec2;

  public RunCleanup(ImageCatalog catalog) {
    this.catalog = catalog;
    this.ec2 = catalog.ec2();
  }

  private KilnException aws(String what, SdkException e) {
    return catalog.aws(what, e);
  }

  /** Names of security groups and key pairs now (to find Packer's untaggable ones later). */
  public record Snapshot(Set<String> securityGroupIds, Set<String> keyPairNames) {}

  public Snapshot snapshot() throws KilnException {
    try {
      Set<String> sgs = new HashSet<>();
      ec2.describeSecurityGroups().securityGroups().forEach(g -> sgs.add(g.groupId()));
      Set<String> keys = new HashSet<>();
      ec2.describeKeyPairs().keyPairs().forEach(k -> keys.add(k.keyName()));
      return new Snapshot(sgs, keys);
    } catch (SdkException e) {
      throw aws("listing security groups and key pairs", e);
    }
  }

  /**
   * Deletes everything a failed or interrupted run left: instances, volumes, snapshots, images
   * without a bake key and key pairs tagged {@code kiln:run-id = runId}, plus Packer's {@code
   * packer_*} security groups and key pairs that did not exist in {@code before}. Returns what was
   * deleted. Best effort: every step runs even when an earlier one fails.
   */
  public List<String> cleanupRun(String runId, Snapshot before, Consumer<String> log) {
    List<String> done = new ArrayList<>();
    Filter byRun = filter("tag:" + TAG_RUN_ID, runId);
    // Instances first (they hold the security group and volumes).
    try {
      List<String> ids = new ArrayList<>();
      ec2.describeInstances(r -> r.filters(byRun))
          .reservations()
          .forEach(
              res ->
                  res.instances().stream()
                      .filter(i -> !"terminated".equals(i.state().nameAsString()))
                      .map(Instance::instanceId)
                      .forEach(ids::add));
      if (!ids.isEmpty()) {
        ec2.terminateInstances(r -> r.instanceIds(ids));
        ids.forEach(i -> done.add("instance " + i));
        waitTerminated(ids, Duration.ofMinutes(5));
      }
    } catch (SdkException | KilnException e) {
      log.accept("cleanup: instances: " + e.getMessage());
    }
    // Images of this run that never got their bake key (failed or half-finished bakes).
    try {
      for (Image i : ec2.describeImages(r -> r.owners("self").filters(byRun)).images()) {
        if (tags(i).containsKey(TAG_BAKE_KEY)) {
          continue;
        }
        List<String> snaps = snapshots(i);
        ec2.deregisterImage(r -> r.imageId(i.imageId()));
        done.add("image " + i.imageId());
        for (String s : snaps) {
          deleteSnapshot(s, done, log);
        }
      }
    } catch (SdkException e) {
      log.accept("cleanup: images: " + e.getMessage());
    }
    try {
      for (var s : ec2.describeSnapshots(r -> r.ownerIds("self").filters(byRun)).snapshots()) {
        deleteSnapshot(s.snapshotId(), done, log);
      }
    } catch (SdkException e) {
      log.accept("cleanup: snapshots: " + e.getMessage());
    }
    try {
      for (var v :
          ec2.describeVolumes(r -> r.filters(byRun, filter("status", "available"))).volumes()) {
        ec2.deleteVolume(r -> r.volumeId(v.volumeId()));
        done.add("volume " + v.volumeId());
      }
    } catch (SdkException e) {
      log.accept("cleanup: volumes: " + e.getMessage());
    }
    try {
      for (KeyPairInfo k : ec2.describeKeyPairs().keyPairs()) {
        boolean ours =
            k.tags().stream().anyMatch(t -> t.key().equals(TAG_RUN_ID) && t.value().equals(runId))
                || (k.keyName().startsWith("packer_")
                    && !before.keyPairNames().contains(k.keyName()));
        if (ours) {
          ec2.deleteKeyPair(r -> r.keyName(k.keyName()));
          done.add("key pair " + k.keyName());
        }
      }
    } catch (SdkException e) {
      log.accept("cleanup: key pairs: " + e.getMessage());
    }
    try {
      for (SecurityGroup g : ec2.describeSecurityGroups().securityGroups()) {
        boolean ours =
            g.tags().stream().anyMatch(t -> t.key().equals(TAG_RUN_ID) && t.value().equals(runId))
                || (g.groupName().startsWith("packer_")
                    && !before.securityGroupIds().contains(g.groupId()));
        if (ours) {
          ec2.deleteSecurityGroup(r -> r.groupId(g.groupId()));
          done.add("security group " + g.groupId());
        }
      }
    } catch (SdkException e) {
      log.accept("cleanup: security groups: " + e.getMessage());
    }
    return done;
  }

  private void deleteSnapshot(String id, List<String> done, Consumer<String> log) {
    try {
      ec2.deleteSnapshot(r -> r.snapshotId(id));
      done.add("snapshot " + id);
    } catch (SdkException e) {
      log.accept("cleanup: snapshot " + id + ": " + e.getMessage());
    }
  }

  private void waitTerminated(List<String> ids, Duration timeout) throws KilnException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      boolean all =
          ec2.describeInstances(r -> r.instanceIds(ids)).reservations().stream()
              .flatMap(res -> res.instances().stream())
              .allMatch(i -> "terminated".equals(i.state().nameAsString()));
      if (all) {
        return;
      }
      sleepQuietly(2000);
    }
    throw new KilnException("instances " + ids + " did not terminate within " + timeout);
  }
}
