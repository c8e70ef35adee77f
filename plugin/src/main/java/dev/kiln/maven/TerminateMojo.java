package dev.kiln.maven;

import dev.kiln.cloud.CandidateRecords;
import dev.kiln.launch.Launcher;
import dev.kiln.launch.Termination;
import dev.kiln.publish.Releases;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterValues;
import java.nio.file.Path;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;

/**
 * Removes everything kiln:launch made (recorded in {@code target/kiln/instance.json}, or per recipe
 * in {@code target/kiln/instances/}) and lists it; does nothing when nothing is recorded, so it can
 * run again. With {@code -Dkiln.launch.keep} the candidate is left running and the goal says how to
 * reach and remove it. With {@code -Dkiln.rollout.group=NAME} it removes that sandbox group
 * instead. Candidates are also recorded under the cache directory, so after {@code mvn clean} it
 * still removes the project's; {@code -Dkiln.terminate.all} lists and removes every candidate
 * recorded on the machine.
 *
 * @since 0.1.0
 */
@Mojo(name = "terminate", defaultPhase = LifecyclePhase.POST_INTEGRATION_TEST, threadSafe = true)
public class TerminateMojo extends AbstractKilnMojo {

  @Override
  protected String goal() {
    return "terminate";
  }

  @Override
  protected void run(ParameterValues v, KilnSpec spec) throws KilnException {
    Path out = spec.outputDir();
    if (v.string("rollout.group") != null) {
      Releases.terminateGroup(cloudSettings(), v.string("rollout.group"), getLog()::info);
      return;
    }
    if (v.bool("launch.keep")) {
      for (var rec : Launcher.runningAll(out)) {
        getLog()
            .info(
                "kiln.launch.keep: leaving candidate "
                    + rec.instanceId()
                    + " running at "
                    + rec.host()
                    + ":"
                    + rec.port()
                    + " (ssh -p "
                    + rec.port()
                    + " <iam-user>@"
                    + rec.host()
                    + "); remove it with: mvn kiln:terminate");
      }
      return;
    }
    CandidateRecords copies = CandidateRecords.of(cloudSettings());
    if (v.bool("terminate.all")) {
      Termination.terminateAll(copies, getLog()::info);
      return;
    }
    Termination.terminate(out, copies, getLog()::info);
  }
}
