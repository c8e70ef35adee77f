package dev.kiln.maven;

import dev.kiln.publish.ReleaseSettings;
import dev.kiln.publish.Releases;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterValues;
import org.apache.maven.plugins.annotations.Mojo;

/**
 * Moves {@code <publish><label>} back to the previous verified version of the parameter (and the
 * launch template's default, when Kiln set it) and, with {@code <rollout><group>}, rolls the group
 * back. Writes {@code target/kiln/rollback.json}.
 *
 * @since 0.1.0
 */
@Mojo(name = "rollback", threadSafe = true)
public class RollbackMojo extends AbstractKilnMojo {

  @Override
  protected String goal() {
    return "rollback";
  }

  @Override
  protected void run(ParameterValues v, KilnSpec spec) throws KilnException {
    Releases.rollback(
        cloudSettings(),
        ReleaseSettings.of(v, project.getGroupId(), project.getArtifactId()),
        spec.outputDir(),
        v.strings("recipes"),
        getLog()::info);
  }
}
