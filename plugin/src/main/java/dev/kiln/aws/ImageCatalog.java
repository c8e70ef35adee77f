package dev.kiln.aws;

import dev.kiln.spec.KilnException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.AttributeValue;
import software.amazon.awssdk.services.ec2.model.BlockDeviceMapping;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.LaunchPermission;
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

  KilnException aws(String what, SdkException e) {
    return new KilnException(
        "AWS error while " + what + " in " + region + ": " + e.getMessage(), e);
  }

  static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
