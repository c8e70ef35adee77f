package dev.kiln.maven;

import dev.kiln.bake.BakeLog;
import dev.kiln.bake.BakeRequest;
import dev.kiln.bake.BakeResult;
import dev.kiln.bake.Bakery;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterValues;
import dev.kiln.spec.Props;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;

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

  @Override
  protected String goal() {
    return "bake";
  }

  @Override
  protected void run(ParameterValues v, KilnSpec spec) throws KilnException {
    Path base = project.getBasedir().toPath();
    Path out = spec.outputDir();
    List<String> ids = v.isSet("recipes") ? v.strings("recipes") : rendered(out);
    CloudSettings c = cloudSettings();
    BakeRequest req =
        new BakeRequest(
            out,
            ids,
            c.cloud(),
            kilnVersion(),
            v.string("runId"),
            v.bool("bake.force"),
            v.strings("bake.regions"),
            v.bool("bake.encryptBoot"),
            v.strings("bake.launchPermissions"),
            v.string("packer.instanceType"),
            v.string("packer.executable"),
            Duration.ofSeconds(v.seconds("packer.timeout")),
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

  /** The recipes whose bundles were rendered. */
  private static List<String> rendered(Path out) throws KilnException {
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
}
