package dev.kiln.maven;

import dev.kiln.render.Renderer;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.Props;
import java.nio.file.Path;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Renders, per recipe, everything that lands on the instance plus the Packer template into {@code
 * target/kiln/<recipe>/}, with {@code manifest.json}. Nothing is written when any parameter is
 * invalid; each bundle is replaced as a whole.
 *
 * @since 0.1.0
 */
@Mojo(name = "render", defaultPhase = LifecyclePhase.GENERATE_RESOURCES, threadSafe = true)
public class RenderMojo extends AbstractKilnMojo {

  /**
   * Skips this goal.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.RENDER_SKIP, defaultValue = "false")
  boolean skipRender;

  @Override
  protected String goal() {
    return "render";
  }

  @Override
  protected boolean skipGoal() {
    return skipRender;
  }

  @Override
  protected void run() throws KilnException {
    Path base = project.getBasedir().toPath();
    KilnSpec spec = KilnSpec.parse(rawParameters(), base);
    for (Renderer.Rendered r : new Renderer(spec.templatesDir()).renderAll(spec, kilnVersion())) {
      getLog()
          .info(
              "Rendered "
                  + r.recipe()
                  + " → "
                  + base.relativize(r.dir())
                  + " ("
                  + r.bundleDigest()
                  + ")");
    }
  }
}
