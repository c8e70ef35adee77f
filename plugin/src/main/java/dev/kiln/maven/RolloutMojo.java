package dev.kiln.maven;

import dev.kiln.publish.ReleaseSettings;
import dev.kiln.publish.Releases;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterValues;
import org.apache.maven.plugins.annotations.Mojo;

/**
 * Replaces the instances of {@code <rollout><group>} with the version kiln:publish wrote: an
 * instance refresh to the explicit launch template version on AWS; in the sandbox, a group of
 * {@code <rollout><size>} instances rolled in batches that keep {@code minHealthyPercentage}
 * healthy. Writes {@code target/kiln/rollout.json}; fails when the rollout fails.
 *
 * @since 0.1.0
 */
@Mojo(name = "rollout", threadSafe = true)
public class RolloutMojo extends AbstractKilnMojo {

  @Override
  protected String goal() {
    return "rollout";
  }

  @Override
  protected void run(ParameterValues v, KilnSpec spec) throws KilnException {
    Releases.rollout(
        cloudSettings(),
        ReleaseSettings.of(v, project.getGroupId(), project.getArtifactId()),
        spec.outputDir(),
        v.strings("recipes"),
        getLog()::info);
  }
}
