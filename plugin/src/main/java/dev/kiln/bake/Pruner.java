package dev.kiln.bake;

import dev.kiln.aws.AwsSettings;
import dev.kiln.aws.ImageCatalog;
import dev.kiln.publish.Prune;
import dev.kiln.sandbox.Sandbox;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
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
   * @param cloud {@code aws} or {@code sandbox} (null: by credentials)
   * @param recipes recipe ids (empty: every recipe with Kiln images)
   */
  public static List<ImageCatalog.Pruned> prune(
      String cloud,
      List<String> recipes,
      int keep,
      int keepPublished,
      boolean dryRun,
      String awsProfile,
      String awsRegion,
      URI awsEndpoint,
      Path sandboxCacheDir,
      Consumer<String> log)
      throws KilnException {
    String c = cloud == null || cloud.isBlank() ? Bakery.defaultCloud() : cloud;
    Map<String, String> published =
        c.equals("aws") || c.equals("sandbox")
            ? Prune.byImage(
                Prune.protectedImages(
                    new CloudSettings(c, awsProfile, awsRegion, awsEndpoint, sandboxCacheDir),
                    keepPublished,
                    log))
            : Map.of();
    if (c.equals("aws")) {
      try (AwsBakeCloud aws =
          new AwsBakeCloud(new AwsSettings(awsProfile, awsRegion, awsEndpoint, null, null))) {
        return aws.catalog(aws.primaryRegion()).prune(recipes, keep, published, dryRun, log);
      }
    }
    if (!c.equals("sandbox")) {
      throw KilnException.badParameter("cloud", c, "aws or sandbox");
    }
    Path cache = sandboxCacheDir != null ? sandboxCacheDir : SandboxSettings.defaultCacheDir();
    try (Sandbox s =
            Sandbox.open(cache, awsRegion != null ? awsRegion : "us-east-1", List.of(), log);
        SandboxBakeCloud sc = new SandboxBakeCloud(s, false, BakeLog.of(log))) {
      List<ImageCatalog.Pruned> out =
          sc.catalog(s.region()).prune(recipes, keep, published, dryRun, log);
      if (!dryRun) {
        List<String> removed = new ArrayList<>();
        out.forEach(p -> removed.addAll(p.removed()));
        s.images().remove(removed);
      }
      return out;
    }
  }
}
