package dev.kiln.maven;

import dev.kiln.aws.ImageCatalog;
import dev.kiln.bake.Pruner;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.Props;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Deregisters old Kiln AMIs and deletes their snapshots: keeps the newest {@code keep} per recipe
 * (tag {@code kiln:recipe}, by creation date), never one used by an instance or a launch template.
 *
 * @since 0.1.0
 */
@Mojo(name = "prune", threadSafe = true, requiresProject = false)
public class PruneMojo extends AbstractKilnMojo {
  /**
   * Skips this goal.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.PRUNE_SKIP, defaultValue = "false")
  boolean skipPrune;

  /**
   * How many images to keep per recipe.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.PRUNE_KEEP, defaultValue = "3")
  int keep;

  /**
   * Only list what would be removed.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.PRUNE_DRY_RUN, defaultValue = "false")
  boolean dryRun;

  /**
   * AWS: {@code <profile>}, {@code <region>}, {@code <endpoint>} ({@code -Dkiln.aws.*}).
   *
   * @since 0.1.0
   */
  @Parameter BakeMojo.AwsParams aws;

  /**
   * Sandbox: {@code <cacheDir>} ({@code -Dkiln.sandbox.cacheDir}).
   *
   * @since 0.1.0
   */
  @Parameter BakeMojo.SandboxParams sandbox;

  @Override
  protected String goal() {
    return "prune";
  }

  @Override
  protected boolean skipGoal() {
    return skipPrune;
  }

  @Override
  protected void run() throws KilnException {
    String endpoint = prop(Props.AWS_ENDPOINT, aws == null ? null : aws.endpoint);
    String cacheDir = prop(Props.SANDBOX_CACHE_DIR, sandbox == null ? null : sandbox.cacheDir);
    List<ImageCatalog.Pruned> out =
        Pruner.prune(
            cloud,
            BakeMojo.list(prop(Props.RECIPES, recipes)),
            keep,
            dryRun,
            prop(Props.AWS_PROFILE, aws == null ? null : aws.profile),
            prop(Props.AWS_REGION, aws == null ? null : aws.region),
            endpoint == null ? null : URI.create(endpoint.trim()),
            cacheDir == null ? null : Path.of(cacheDir).toAbsolutePath(),
            getLog()::info);
    for (ImageCatalog.Pruned p : out) {
      getLog()
          .info(
              p.recipe()
                  + ": kept "
                  + p.kept()
                  + ", in use "
                  + p.inUse()
                  + (dryRun ? ", would remove " : ", removed ")
                  + p.removed());
    }
  }

  private String prop(String property, String pomValue) {
    String v = session == null ? null : session.getUserProperties().getProperty(property);
    return v != null ? v : pomValue;
  }
}
