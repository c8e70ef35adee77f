package dev.kiln.bake;

import dev.kiln.aws.ImagePrune;
import dev.kiln.cloud.Cloud;
import dev.kiln.cloud.Clouds;
import dev.kiln.publish.Prune;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code kiln:prune}: keep the newest N images per recipe, never one in use or published ({@link
 * Prune}).
 */
public final class Pruner {
  private Pruner() {}

  /**
   * @param settings the cloud ({@code cloud} null: by credentials)
   * @param recipes recipe ids (empty: every recipe with Kiln images)
   */
  public static List<ImagePrune.Pruned> prune(
      CloudSettings settings,
      List<String> recipes,
      int keep,
      int keepPublished,
      boolean dryRun,
      Consumer<String> log)
      throws KilnException {
    Cloud cloud = Clouds.choose(settings);
    Map<String, String> kept = Prune.byImage(Prune.protectedImages(cloud, keepPublished, log));
    return cloud.prune(recipes, keep, kept, dryRun, log);
  }
}
