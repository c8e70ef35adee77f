package dev.kiln.maven;

import dev.kiln.bake.BakeLog;
import dev.kiln.bake.BakeRequest;
import dev.kiln.bake.BakeResult;
import dev.kiln.bake.Bakery;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.Props;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Bakes an AMI per recipe from the rendered bundles: computes the bake key, reuses the image that
 * carries it or runs Packer, then tags it, requires IMDSv2, copies it to further regions and writes
 * {@code target/kiln/bake.json}. Sets {@code kiln.ami.id} (first recipe, primary region) and {@code
 * kiln.ami.<recipe>.<region>}.
 *
 * @since 0.1.0
 */
@Mojo(name = "bake", defaultPhase = LifecyclePhase.PACKAGE, threadSafe = true)
public class BakeMojo extends AbstractKilnMojo {

  /**
   * Skips this goal.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.BAKE_SKIP, defaultValue = "false")
  boolean skipBake;

  /**
   * Rebake even when an image with the same bake key exists.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.BAKE_FORCE, defaultValue = "false")
  boolean force;

  /**
   * Comma-separated further regions to copy the image to (tags are copied too).
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.BAKE_REGIONS)
  String regions;

  /**
   * Encrypt the boot volume of the image and its copies.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.BAKE_ENCRYPT_BOOT, defaultValue = "false")
  boolean encryptBoot;

  /**
   * Comma-separated AWS account ids allowed to launch the image.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.BAKE_LAUNCH_PERMISSIONS)
  String launchPermissions;

  /**
   * Packer: {@code <executable>} ({@code -Dkiln.packer.executable}), {@code <timeout>} in minutes
   * ({@code -Dkiln.packer.timeout}), {@code <instanceType>} ({@code -Dkiln.packer.instanceType}).
   *
   * @since 0.1.0
   */
  @Parameter PackerParams packer;

  @Override
  protected String goal() {
    return "bake";
  }

  @Override
  protected boolean skipGoal() {
    return skipBake;
  }

  @Override
  protected void run() throws KilnException {
    Path base = project.getBasedir().toPath();
    Path out = base.resolve(outputDir == null ? "target/kiln" : outputDir).normalize();
    List<String> ids = recipeIds(out);
    String timeout = property(Props.PACKER_TIMEOUT, packer == null ? null : packer.timeout);
    Duration t;
    try {
      t =
          timeout == null
              ? Duration.ofMinutes(60)
              : Duration.ofMinutes(Long.parseLong(timeout.trim()));
    } catch (NumberFormatException e) {
      throw KilnException.badParameter("packer.timeout", timeout, "a number of minutes");
    }
    CloudSettings c = cloudSettings();
    BakeRequest req =
        new BakeRequest(
            out,
            ids,
            c.cloud(),
            kilnVersion(),
            runId,
            force,
            list(regions),
            encryptBoot,
            list(launchPermissions),
            property(Props.PACKER_INSTANCE_TYPE, packer == null ? null : packer.instanceType),
            property(Props.PACKER_EXECUTABLE, packer == null ? null : packer.executable),
            t,
            c.awsProfile(),
            c.awsRegion(),
            c.awsEndpoint(),
            c.sandboxCacheDir(),
            project.getGroupId() + ":" + project.getArtifactId() + ":" + project.getVersion(),
            base,
            Map.of());
    BakeLog log =
        new BakeLog() {
          @Override
          public void info(String line) {
            getLog().info(line);
          }

          @Override
          public void warn(String line) {
            getLog().warn(line);
          }

          @Override
          public void debug(String line) {
            getLog().debug(line);
          }
        };
    BakeResult r = new Bakery().bake(req, log);
    for (BakeResult.Image i : r.images()) {
      project.getProperties().setProperty("kiln.ami." + i.recipe() + "." + i.region(), i.amiId());
      getLog()
          .info(
              (i.built() ? "Baked " : "Reused ")
                  + i.amiId()
                  + " for "
                  + i.recipe()
                  + " in "
                  + i.region());
    }
    r.primaryAmiId().ifPresent(a -> project.getProperties().setProperty(Props.OUT_AMI_ID, a));
  }

  /** The recipes whose bundles were rendered (or the configured ones). */
  private List<String> recipeIds(Path out) throws KilnException {
    String configured = property(Props.RECIPES, recipes);
    if (configured != null && !configured.isBlank()) {
      return list(configured);
    }
    try (var s = java.nio.file.Files.list(out)) {
      List<String> ids =
          s.filter(p -> java.nio.file.Files.isRegularFile(p.resolve("manifest.json")))
              .map(p -> String.valueOf(p.getFileName()))
              .sorted()
              .toList();
      if (ids.isEmpty()) {
        throw new KilnException(
            "recipes",
            "no rendered bundle under " + out + ": run kiln:render first",
            List.of(),
            null);
      }
      return ids;
    } catch (java.io.IOException e) {
      throw new KilnException(
          "outputDir", "no rendered bundles in " + out + ": run kiln:render first", List.of(), e);
    }
  }

  static List<String> list(String csv) {
    if (csv == null || csv.isBlank()) {
      return List.of();
    }
    return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
  }
}
