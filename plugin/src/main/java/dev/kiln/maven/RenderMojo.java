package dev.kiln.maven;

import dev.kiln.render.Renderer;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterValues;
import java.nio.file.Path;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;

/**
 * Renders, per recipe, everything that lands on the instance plus the Packer template into {@code
 * target/kiln/<recipe>/}, with {@code manifest.json}. Nothing is written when any parameter is
 * invalid; each bundle is replaced as a whole.
 *
 * @since 0.1.0
 */
@Mojo(name = "render", defaultPhase = LifecyclePhase.GENERATE_RESOURCES, threadSafe = true)
public class RenderMojo extends AbstractKilnMojo {

  @Override
  protected String goal() {
    return "render";
  }

  @Override
  protected void run(ParameterValues v, KilnSpec spec) throws KilnException {
    Path base = project.getBasedir().toPath();
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
