package dev.kiln.maven;

import dev.kiln.check.BundleChecker;
import dev.kiln.check.CheckInput;
import dev.kiln.check.Finding;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.Props;
import dev.kiln.spec.Recipe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Checks every rendered bundle with the local tools, before anything is baked: the effective sshd
 * configuration ({@code sshd -t}, {@code sshd -T}) against hardening.md's controls with hostile
 * drop-ins present, the fail2ban jails ({@code fail2ban-client -t}/{@code -d}), the moduli filter,
 * every script ({@code bash -n}, {@code shellcheck}, Python byte-compile) and the Packer template
 * ({@code packer validate}). Fails with every finding listed; a missing tool is a finding that says
 * how to install it.
 *
 * @since 0.1.0
 */
@Mojo(name = "validate", defaultPhase = LifecyclePhase.PROCESS_RESOURCES, threadSafe = true)
public class ValidateMojo extends AbstractKilnMojo {

  /**
   * Skips this goal.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.VALIDATE_SKIP, defaultValue = "false")
  boolean skipValidate;

  @Override
  protected String goal() {
    return "validate";
  }

  @Override
  protected boolean skipGoal() {
    return skipValidate;
  }

  @Override
  protected void run() throws KilnException, MojoExecutionException {
    Path base = project.getBasedir().toPath();
    KilnSpec spec = KilnSpec.parse(rawParameters(), base);
    BundleChecker checker = new BundleChecker();
    List<Finding> failing = new ArrayList<>();
    for (Recipe recipe : spec.recipes()) {
      Path bundle = spec.outputDir().resolve(recipe.id());
      if (!Files.isDirectory(bundle)) {
        failing.add(
            new Finding(
                recipe.id(),
                "bundle",
                0,
                "no rendered bundle at "
                    + base.relativize(bundle)
                    + "; run kiln:render first (it is bound to generate-resources)",
                ""));
        continue;
      }
      Map<String, Object> recipeData;
      try {
        recipeData = BundleChecker.readRecipe(bundle);
      } catch (IOException e) {
        failing.add(new Finding(recipe.id(), "bundle", 0, e.getMessage(), ""));
        continue;
      }
      List<Finding> findings =
          checker.check(
              new CheckInput(
                  bundle,
                  recipeData,
                  spec.hardening().toTemplateMap(),
                  spec.sshdByRecipe().get(recipe.id()),
                  spec.access().toMap()));
      for (Finding f : findings) {
        if (BundleChecker.failing(f)) {
          failing.add(f);
        } else {
          getLog().warn(f.describe());
        }
      }
      if (findings.stream().noneMatch(BundleChecker::failing)) {
        getLog().info("Validated " + recipe.id() + " (" + base.relativize(bundle) + ")");
      }
    }
    if (!failing.isEmpty()) {
      StringBuilder b = new StringBuilder();
      b.append("kiln:validate found ").append(failing.size()).append(" problem(s):");
      for (Finding f : failing) {
        getLog().error(f.describe());
        b.append("\n  - ").append(f.describe());
      }
      throw new MojoExecutionException(b.toString());
    }
  }
}
