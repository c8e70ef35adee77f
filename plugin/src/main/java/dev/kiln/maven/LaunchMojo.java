package dev.kiln.maven;

import dev.kiln.launch.LaunchRequest;
import dev.kiln.launch.Launched;
import dev.kiln.launch.Launcher;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.Props;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Boots a candidate from the baked image ({@code kiln.ami.id}, else {@code target/kiln/bake.json})
 * and exposes {@code kiln.instance.id}, {@code kiln.instance.host} and {@code kiln.instance.port}
 * as project properties (also in {@code target/kiln/instance.properties}) for failsafe tests. On
 * AWS: IMDSv2 required, a security group open on the SSH port to {@code <hardening><trustedCidrs>}
 * only, the instance profile, {@code kiln:run-id} tags. In the sandbox: a fresh overlay in its own
 * namespaces, reached through 127.0.0.1. Unless {@code -Dkiln.keep}, the candidate is removed when
 * the build ends without {@code kiln:terminate}.
 *
 * @since 0.1.0
 */
@Mojo(name = "launch", defaultPhase = LifecyclePhase.PRE_INTEGRATION_TEST, threadSafe = true)
public class LaunchMojo extends AbstractKilnMojo {

  /**
   * Skips this goal.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.LAUNCH_SKIP, defaultValue = "false")
  boolean skipLaunch;

  /**
   * The image to launch. Default: what kiln:bake set, else {@code target/kiln/bake.json}.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.AMI_ID)
  String amiId;

  /**
   * Leaves the candidate running after the build, for debugging; kiln:terminate removes it.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.KEEP, defaultValue = "false")
  boolean keep;

  /**
   * {@code <allowWorld>}, {@code <timeout>}, {@code <instanceType>}, {@code <subnetId>}, {@code
   * <instanceProfile>}; see {@link LaunchParams}.
   *
   * @since 0.1.0
   */
  @Parameter LaunchParams launch;

  @Override
  protected String goal() {
    return "launch";
  }

  @Override
  protected boolean skipGoal() {
    return skipLaunch;
  }

  @Override
  protected void run() throws KilnException {
    Path base = project.getBasedir().toPath();
    KilnSpec spec = KilnSpec.parse(rawParameters(), base);
    String ami = property(Props.AMI_ID, amiId);
    if (ami == null) {
      ami = project.getProperties().getProperty(Props.OUT_AMI_ID);
    }
    String timeout = property(Props.LAUNCH_TIMEOUT, launch == null ? null : launch.timeout);
    Duration t = null;
    if (timeout != null) {
      try {
        t = Duration.ofSeconds(Long.parseLong(timeout.trim()));
      } catch (NumberFormatException e) {
        throw KilnException.badParameter("launch.timeout", timeout, "a number of seconds");
      }
    }
    CloudSettings c = cloudSettings();
    String allow = property(Props.LAUNCH_ALLOW_WORLD, launch == null ? null : launch.allowWorld);
    if (allow != null && !allow.trim().matches("true|false")) {
      throw KilnException.badParameter("launch.allowWorld", allow, "true or false");
    }
    LaunchRequest req =
        new LaunchRequest(
            spec.outputDir(),
            c.cloud(),
            ami,
            spec.hardening().trustedCidrs(),
            Boolean.parseBoolean(allow),
            t,
            keep,
            runId,
            spec.hardening().port(),
            property(Props.LAUNCH_INSTANCE_TYPE, launch == null ? null : launch.instanceType),
            property(Props.LAUNCH_SUBNET_ID, launch == null ? null : launch.subnetId),
            property(Props.LAUNCH_INSTANCE_PROFILE, launch == null ? null : launch.instanceProfile),
            c.awsProfile(),
            c.awsRegion(),
            c.awsEndpoint(),
            c.sandboxCacheDir());
    Launched l = new Launcher().launch(req, getLog()::info);
    project.getProperties().setProperty(Props.OUT_INSTANCE_ID, l.instanceId());
    project.getProperties().setProperty(Props.OUT_INSTANCE_HOST, l.host());
    project.getProperties().setProperty(Props.OUT_INSTANCE_PORT, Integer.toString(l.port()));
  }
}
