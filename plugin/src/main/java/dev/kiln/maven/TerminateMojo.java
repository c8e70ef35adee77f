package dev.kiln.maven;

import dev.kiln.launch.Launcher;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.Props;
import java.nio.file.Path;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Removes everything kiln:launch made (recorded in {@code target/kiln/instance.json}) and lists it;
 * does nothing when nothing is recorded, so it can run again. With {@code -Dkiln.keep} the
 * candidate is left running and the goal says how to reach and remove it.
 *
 * @since 0.1.0
 */
@Mojo(name = "terminate", defaultPhase = LifecyclePhase.POST_INTEGRATION_TEST, threadSafe = true)
public class TerminateMojo extends AbstractKilnMojo {

  /**
   * Skips this goal.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.TERMINATE_SKIP, defaultValue = "false")
  boolean skipTerminate;

  /**
   * Leaves the candidate running (debugging).
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.KEEP, defaultValue = "false")
  boolean keep;

  @Override
  protected String goal() {
    return "terminate";
  }

  @Override
  protected boolean skipGoal() {
    return skipTerminate;
  }

  @Override
  protected void run() throws KilnException {
    Path out =
        project
            .getBasedir()
            .toPath()
            .resolve(outputDir == null ? "target/kiln" : outputDir)
            .normalize();
    if (keep) {
      var rec = Launcher.running(out);
      if (rec.isPresent()) {
        getLog()
            .info(
                "kiln.keep: leaving candidate "
                    + rec.get().get("instanceId")
                    + " running at "
                    + rec.get().get("host")
                    + ":"
                    + rec.get().get("port")
                    + " (ssh -p "
                    + rec.get().get("port")
                    + " <iam-user>@"
                    + rec.get().get("host")
                    + "); remove it with: mvn kiln:terminate");
      }
      return;
    }
    Launcher.terminate(out, getLog()::info);
  }
}
