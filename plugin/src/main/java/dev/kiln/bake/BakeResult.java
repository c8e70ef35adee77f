package dev.kiln.bake;

import java.util.List;
import java.util.Optional;

/** What a bake produced: one entry per recipe and region, the primary region first. */
public record BakeResult(String runId, List<Image> images) {
  public BakeResult {
    images = List.copyOf(images);
  }

  /**
   * One AMI.
   *
   * @param built true when Packer built it in this run, false when reused (or copied from one)
   * @param packerMillis Packer's wall time (0 when reused)
   * @param totalMillis this recipe's time in this region
   */
  public record Image(
      String recipe,
      String region,
      String amiId,
      String bakeKey,
      String sourceAmi,
      boolean built,
      boolean primary,
      long packerMillis,
      long totalMillis) {}

  /** The AMI of the first recipe in its primary region: {@code kiln.ami.id}. */
  public Optional<String> primaryAmiId() {
    return images.stream().filter(Image::primary).map(Image::amiId).findFirst();
  }
}
