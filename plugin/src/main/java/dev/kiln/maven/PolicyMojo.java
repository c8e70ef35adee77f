package dev.kiln.maven;

import dev.kiln.aws.CandidatePolicy;
import dev.kiln.publish.ReleasePolicy;
import dev.kiln.publish.ReleaseSettings;
import dev.kiln.render.AtomicFile;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterValues;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.maven.plugins.annotations.Mojo;

/**
 * Prints the least-privilege IAM policy for the instance role of launched instances (the key
 * command and the user sync: iam:ListSSHPublicKeys, iam:GetSSHPublicKey, iam:GetUser, iam:GetGroup,
 * iam:ListUsers, iam:ListGroupsForUser; only sts:AssumeRole when {@code <access><assumeRole>} is
 * set, plus the assumed role's policy), and the policy of the release pipeline's identity for
 * kiln:publish, kiln:rollout and kiln:rollback ({@code release.json}); writes them to {@code
 * target/kiln/policy/}.
 *
 * @since 0.1.0
 */
@Mojo(name = "policy", threadSafe = true)
public class PolicyMojo extends AbstractKilnMojo {

  @Override
  protected String goal() {
    return "policy";
  }

  @Override
  protected void run(ParameterValues v, KilnSpec spec) throws KilnException {
    // Every parameter is checked before anything is written.
    ReleaseSettings releaseSettings =
        ReleaseSettings.of(v, project.getGroupId(), project.getArtifactId());
    Path dir = spec.outputDir().resolve("policy");
    String instance = CandidatePolicy.instancePolicy(spec.access(), spec.waysIn().sessionManager());
    getLog().info("Instance role policy (" + dir.resolve("instance-role.json") + "):\n" + instance);
    write(dir.resolve("instance-role.json"), instance);
    if (spec.access().assumeRole() != null && !spec.access().assumeRole().isBlank()) {
      String assumed = CandidatePolicy.readPolicy(spec.access());
      getLog()
          .info(
              "Policy of the assumed role "
                  + spec.access().assumeRole()
                  + " ("
                  + dir.resolve("assumed-role.json")
                  + "):\n"
                  + assumed);
      write(dir.resolve("assumed-role.json"), assumed);
    }
    String release = ReleasePolicy.document(releaseSettings);
    getLog()
        .info(
            "Release pipeline policy: kiln:publish, kiln:rollout, kiln:rollback ("
                + dir.resolve("release.json")
                + "):\n"
                + release);
    write(dir.resolve("release.json"), release);
  }

  private static void write(Path f, String text) throws KilnException {
    try {
      AtomicFile.write(f, text);
    } catch (IOException e) {
      throw new KilnException(
          "outputDir", "cannot write " + f + ": " + e.getMessage(), List.of(), e);
    }
  }
}
