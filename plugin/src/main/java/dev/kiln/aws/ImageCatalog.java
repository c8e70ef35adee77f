package dev.kiln.aws;

import dev.kiln.spec.KilnException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.AttributeValue;
import software.amazon.awssdk.services.ec2.model.BlockDeviceMapping;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.KeyPairInfo;
import software.amazon.awssdk.services.ec2.model.LaunchPermission;
import software.amazon.awssdk.services.ec2.model.SecurityGroup;
import software.amazon.awssdk.services.ec2.model.Tag;

/**
 * The EC2 side of a bake and of prune: find an image by bake key, resolve a source image by filter,
 * tag, IMDSv2, copy, launch permissions, prune, and cleanup of everything tagged with a run id.
 */
public final class ImageCatalog {
  public static final String TAG_BAKE_KEY = "kiln:bake-key";
  public static final String TAG_RECIPE = "kiln:recipe";
  public static final String TAG_RUN_ID = "kiln:run-id";

  private final Ec2Client ec2;
  private final String region;

  public ImageCatalog(Ec2Client ec2, String region) {
    this.ec2 = ec2;
    this.region = region;
  }

  public String region() {
    return region;
  }

  public Ec2Client ec2() {
    return ec2;
  }

  /**
   * An available image of this account carrying {@code kiln:bake-key = key}: one DescribeImages.
   */
  public Optional<Image> findByBakeKey(String key) throws KilnException {
    try {
      return ec2
          .describeImages(
              r ->
                  r.owners("self")
                      .filters(filter("tag:" + TAG_BAKE_KEY, key), filter("state", "available")))
          .images()
          .stream()
          .filter(i -> key.equals(tags(i).get(TAG_BAKE_KEY)))
          .max(NEWEST);
    } catch (SdkException e) {
      throw aws("looking up the bake key", e);
    }
  }

  /**
   * The newest available image matching the recipe's base-image filter (owners + name pattern +
   * architecture).
   */
  public Image resolveSource(List<String> owners, String namePattern, String architecture)
      throws KilnException {
    List<Filter> filters = new ArrayList<>();
    filters.add(filter("name", namePattern));
    filters.add(filter("state", "available"));
    if (architecture != null && !architecture.isBlank()) {
      filters.add(filter("architecture", architecture));
    }
    try {
      return ec2.describeImages(r -> r.owners(owners).filters(filters)).images().stream()
          .filter(i -> i.state() == null || "available".equals(i.stateAsString()))
          .max(NEWEST)
          .orElseThrow(
              () ->
                  new KilnException(
                      "recipes",
                      "no source image in "
                          + region
                          + " matches the recipe's baseImage (owners "
                          + owners
                          + ", name "
                          + namePattern
                          + ", architecture "
                          + architecture
                          + ")",
                      List.of(),
                      null));
    } catch (SdkException e) {
      throw aws("resolving the source image", e);
    }
  }

  /**
   * When Kiln baked the image, to the millisecond: CreationDate has whole seconds (and all images
   * restored into the sandbox's emulator share one), so it cannot order quick rebakes.
   */
  public static final String TAG_BAKED_AT = "kiln:baked-at";

  private static final java.time.format.DateTimeFormatter BAKED_AT =
      java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
          .withZone(java.time.ZoneOffset.UTC);

  /** The {@link #TAG_BAKED_AT} value of {@code t}: ISO-8601 UTC with milliseconds. */
  public static String bakedAt(java.time.Instant t) {
    return BAKED_AT.format(t);
  }

  /**
   * Oldest to newest: by Kiln's bake time where the image has it, else by CreationDate (both
   * ISO-8601 UTC, so they compare as text), ties broken by id.
   */
  public static final Comparator<Image> NEWEST =
      Comparator.comparing(
              (Image i) ->
                  tags(i)
                      .getOrDefault(TAG_BAKED_AT, i.creationDate() == null ? "" : i.creationDate()))
          .thenComparing(Image::imageId);

  public Image describe(String imageId) throws KilnException {
    try {
      return ec2.describeImages(r -> r.imageIds(imageId)).images().stream()
          .findFirst()
          .orElseThrow(() -> new KilnException("image " + imageId + " not found in " + region));
    } catch (SdkException e) {
      throw aws("describing " + imageId, e);
    }
  }

  /** Tags the image and its EBS snapshots. */
  public void tag(String imageId, Map<String, String> tags) throws KilnException {
    List<String> ids = new ArrayList<>();
    ids.add(imageId);
    ids.addAll(snapshots(describe(imageId)));
    List<Tag> t =
        tags.entrySet().stream()
            .map(e -> Tag.builder().key(e.getKey()).value(e.getValue()).build())
            .toList();
    try {
      ec2.createTags(r -> r.resources(ids).tags(t));
    } catch (SdkException e) {
      throw aws("tagging " + imageId, e);
    }
  }

  /**
   * Requires IMDSv2 on instances launched from the image ({@code ImdsSupport=v2.0}). Returns false
   * when the endpoint rejects the attribute and {@code tolerateUnsupported} (the sandbox's emulator
   * does not implement it); on AWS a rejection is an error.
   */
  public boolean requireImdsV2(String imageId, boolean tolerateUnsupported) throws KilnException {
    try {
      ec2.modifyImageAttribute(
          r -> r.imageId(imageId).imdsSupport(AttributeValue.builder().value("v2.0").build()));
      return true;
    } catch (SdkException e) {
      if (tolerateUnsupported) {
        return false;
      }
      throw aws("requiring IMDSv2 on " + imageId, e);
    }
  }

  /** Adds launch permissions for these account ids. */
  public void grantLaunch(String imageId, List<String> accountIds) throws KilnException {
    if (accountIds.isEmpty()) {
      return;
    }
    List<LaunchPermission> perms =
        accountIds.stream().map(a -> LaunchPermission.builder().userId(a).build()).toList();
    try {
      ec2.modifyImageAttribute(r -> r.imageId(imageId).launchPermission(l -> l.add(perms)));
    } catch (SdkException e) {
      throw aws("granting launch permissions on " + imageId, e);
    }
  }

  /**
   * Copies an image from {@code sourceRegion} into this catalog's region and waits until it is
   * available.
   */
  public String copyFrom(
      String sourceRegion, String imageId, String name, boolean encrypted, Duration timeout)
      throws KilnException {
    String id;
    try {
      id =
          ec2.copyImage(
                  r -> {
                    r.sourceRegion(sourceRegion).sourceImageId(imageId).name(name);
                    if (encrypted) {
                      r.encrypted(true);
                    }
                  })
              .imageId();
    } catch (SdkException e) {
      throw aws("copying " + imageId + " from " + sourceRegion + " to " + region, e);
    }
    waitAvailable(id, timeout);
    return id;
  }

  /** Polls until the image is available. */
  public void waitAvailable(String imageId, Duration timeout) throws KilnException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long sleep = 200;
    while (true) {
      Image i = describe(imageId);
      if ("available".equals(i.stateAsString())) {
        return;
      }
      if ("failed".equals(i.stateAsString()) || System.nanoTime() > deadline) {
        throw new KilnException(
            "image "
                + imageId
                + " in "
                + region
                + " is "
                + i.stateAsString()
                + " (waited "
                + timeout
                + ")");
      }
      sleepQuietly(sleep);
      sleep = Math.min(sleep * 2, 15_000);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Cleanup by run id

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

  // ---------------------------------------------------------------------------------------------
  // Prune

  /** What prune kept and removed for one recipe. */
  public record Pruned(
      String recipe, List<String> kept, List<String> inUse, List<String> removed) {}

  /**
   * Keeps the newest {@code keep} images per recipe (tag {@code kiln:recipe}, by CreationDate then
   * id), never one used by an instance that is not terminated or by a launch template's default or
   * latest version; deregisters the rest and deletes their snapshots (unless {@code dryRun}).
   */
  public List<Pruned> prune(List<String> recipes, int keep, boolean dryRun, Consumer<String> log)
      throws KilnException {
    return prune(recipes, keep, Map.of(), dryRun, log);
  }

  /**
   * As {@link #prune(List, int, boolean, Consumer)}, and never an image of {@code published} (image
   * id → the rules that keep it: parameter labels and versions, launch template versions, sandbox
   * groups). Logs the rule that kept each image beyond the newest {@code keep}.
   */
  public List<Pruned> prune(
      List<String> recipes,
      int keep,
      Map<String, String> published,
      boolean dryRun,
      Consumer<String> log)
      throws KilnException {
    if (keep < 0) {
      throw KilnException.badParameter("prune.keep", keep, "a number of images ≥ 0");
    }
    try {
      Set<String> inUse = imagesInUse();
      Map<String, List<Image>> byRecipe = new LinkedHashMap<>();
      for (Image i :
          ec2.describeImages(r -> r.owners("self").filters(filter("tag-key", TAG_RECIPE)))
              .images()) {
        String recipe = tags(i).get(TAG_RECIPE);
        if (recipe != null && (recipes.isEmpty() || recipes.contains(recipe))) {
          byRecipe.computeIfAbsent(recipe, k -> new ArrayList<>()).add(i);
        }
      }
      List<Pruned> out = new ArrayList<>();
      for (var e : byRecipe.entrySet()) {
        List<Image> images = new ArrayList<>(e.getValue());
        images.sort(NEWEST.reversed());
        List<String> kept = new ArrayList<>();
        List<String> used = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        for (int n = 0; n < images.size(); n++) {
          Image i = images.get(n);
          if (n < keep) {
            kept.add(i.imageId());
            log.accept(
                "Keeping " + i.imageId() + ": one of the newest " + keep + " (<prune><keep>)");
          } else if (inUse.contains(i.imageId())) {
            used.add(i.imageId());
            log.accept(
                "Keeping " + i.imageId() + ": used by an instance or a launch template version");
          } else if (published.containsKey(i.imageId())) {
            used.add(i.imageId());
            log.accept("Keeping " + i.imageId() + ": " + published.get(i.imageId()));
          } else {
            removed.add(i.imageId());
            log.accept(
                (dryRun ? "Would deregister " : "Deregistering ")
                    + i.imageId()
                    + " ("
                    + e.getKey()
                    + ", "
                    + i.creationDate()
                    + ")");
            if (!dryRun) {
              List<String> snaps = snapshots(i);
              ec2.deregisterImage(r -> r.imageId(i.imageId()));
              for (String s : snaps) {
                ec2.deleteSnapshot(r -> r.snapshotId(s));
              }
            }
          }
        }
        out.add(new Pruned(e.getKey(), kept, used, removed));
      }
      return out;
    } catch (SdkException e) {
      throw aws("pruning images", e);
    }
  }

  /** Image ids used by non-terminated instances and by launch templates (default and latest). */
  Set<String> imagesInUse() {
    Set<String> used = new HashSet<>();
    ec2.describeInstancesPaginator(
            r ->
                r.filters(
                    filter(
                        "instance-state-name",
                        "pending",
                        "running",
                        "stopping",
                        "stopped",
                        "shutting-down")))
        .reservations()
        .forEach(res -> res.instances().forEach(i -> used.add(i.imageId())));
    try {
      for (var lt : ec2.describeLaunchTemplates().launchTemplates()) {
        ec2.describeLaunchTemplateVersions(
                r -> r.launchTemplateId(lt.launchTemplateId()).versions("$Latest", "$Default"))
            .launchTemplateVersions()
            .forEach(
                v -> {
                  if (v.launchTemplateData() != null && v.launchTemplateData().imageId() != null) {
                    used.add(v.launchTemplateData().imageId());
                  }
                });
      }
    } catch (AwsServiceException e) {
      // no launch template permission: instances still protect their images
    }
    return used;
  }

  // ---------------------------------------------------------------------------------------------

  public static Map<String, String> tags(Image i) {
    Map<String, String> m = new LinkedHashMap<>();
    i.tags().forEach(t -> m.put(t.key(), t.value()));
    return m;
  }

  static List<String> snapshots(Image i) {
    List<String> out = new ArrayList<>();
    for (BlockDeviceMapping b : i.blockDeviceMappings()) {
      if (b.ebs() != null && b.ebs().snapshotId() != null) {
        out.add(b.ebs().snapshotId());
      }
    }
    return out;
  }

  static Filter filter(String name, String... values) {
    return Filter.builder().name(name).values(values).build();
  }

  private KilnException aws(String what, SdkException e) {
    return new KilnException(
        "AWS error while " + what + " in " + region + ": " + e.getMessage(), e);
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
