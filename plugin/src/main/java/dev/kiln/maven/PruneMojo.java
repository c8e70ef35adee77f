package dev.kiln.maven;

import dev.kiln.aws.ImagePrune;
import dev.kiln.bake.Pruner;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterValues;
import java.util.List;
import org.apache.maven.plugins.annotations.Mojo;

/**
 * Deregisters old Kiln AMIs and deletes their snapshots: keeps the newest {@code keep} per recipe
 * (tag {@code kiln:recipe}, by creation date), never one used by an instance or a launch template,
 * never one published (labelled or recent parameter versions, launch template versions, groups).
 *
 * @since 0.1.0
 */
@Mojo(name = "prune", threadSafe = true, requiresProject = false)
public class PruneMojo extends AbstractKilnMojo {

  @Override
  protected String goal() {
    return "prune";
  }

  @Override
  protected void run(ParameterValues v, KilnSpec spec) throws KilnException {
    CloudSettings c = cloudSettings();
    boolean dryRun = v.bool("prune.dryRun");
    List<ImagePrune.Pruned> out =
        Pruner.prune(
            c,
            v.strings("recipes"),
            v.integer("prune.keep"),
            v.integer("prune.keepPublished"),
            dryRun,
            getLog()::info);
    for (ImagePrune.Pruned p : out) {
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
