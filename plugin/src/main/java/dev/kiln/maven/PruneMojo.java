package dev.kiln.maven;

import dev.kiln.aws.ImageCatalog;
import dev.kiln.bake.Pruner;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.Props;
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
    CloudSettings c = cloudSettings();
    List<ImageCatalog.Pruned> out =
        Pruner.prune(
            c.cloud(),
            BakeMojo.list(property(Props.RECIPES, recipes)),
            keep,
            dryRun,
            c.awsProfile(),
            c.awsRegion(),
            c.awsEndpoint(),
            c.sandboxCacheDir(),
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
}
