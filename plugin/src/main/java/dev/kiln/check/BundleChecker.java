package dev.kiln.check;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Static checks of one rendered bundle ({@code target/kiln/<recipe>/}, layout in contracts.md), run
 * with the local tools: the effective sshd configuration against hardening.md's controls, the
 * fail2ban jails, the moduli filter, every script's syntax and the Packer template. A missing tool
 * is a finding that says how to install it, never a silent skip.
 *
 * <p>Knows nothing of Maven: {@code kiln:validate} calls {@link #check} per recipe and fails with
 * every finding listed.
 */
public final class BundleChecker {
  private final Tools tools;
  private final Path fail2banConfig;

  public BundleChecker() {
    this(new Tools(), Fail2banCheck.SYSTEM_CONFIG);
  }

  /** {@code fail2banConfig}: the stock fail2ban configuration the rendered jails extend. */
  public BundleChecker(Tools tools, Path fail2banConfig) {
    this.tools = tools;
    this.fail2banConfig = fail2banConfig;
  }

  /**
   * Checks one bundle.
   *
   * @param bundleDir the bundle directory
   * @param recipe the recipe (the bundle's {@code recipe.yaml}, see {@link #readRecipe})
   * @param hardening the resolved hardening map (the templates' {@code hardening})
   * @param sshd the resolved algorithm lists (the templates' {@code sshd})
   * @param access the resolved access map (the templates' {@code access})
   * @return every finding; empty when the bundle passes
   */
  public static List<Finding> check(
      Path bundleDir,
      Map<String, Object> recipe,
      Map<String, Object> hardening,
      Map<String, Object> sshd,
      Map<String, Object> access) {
    return new BundleChecker().check(new CheckInput(bundleDir, recipe, hardening, sshd, access));
  }

  /** Checks one bundle, running every check even when an earlier one has findings. */
  public List<Finding> check(CheckInput in) {
    List<Finding> out = new ArrayList<>(layout(in));
    out.addAll(new SshdCheck(tools).run(in));
    out.addAll(new SlotCheck(tools).run(in));
    out.addAll(new ModuliCheck().run(in));
    out.addAll(new Fail2banCheck(tools, fail2banConfig).run(in));
    out.addAll(new ScriptCheck(tools).run(in));
    out.addAll(new PackerCheck(tools).run(in));
    return out;
  }

  /** True for findings that fail validation (everything but notes about optional tools). */
  public static boolean failing(Finding f) {
    return !f.message().startsWith("note:");
  }

  /**
   * The bundle's {@code recipe.yaml}, read with SnakeYAML's safe constructor.
   *
   * @throws IOException when it is missing or not a YAML mapping
   */
  public static Map<String, Object> readRecipe(Path bundleDir) throws IOException {
    Path file = bundleDir.resolve("recipe.yaml");
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + " is missing; expected the recipe copied by kiln:render");
    }
    try (InputStream in = Files.newInputStream(file)) {
      Object data = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
      if (!(data instanceof Map<?, ?> m)) {
        throw new IOException(file + ": expected a YAML mapping (id, name, baseImage, ...)");
      }
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, v) -> out.put(String.valueOf(k), v));
      return out;
    } catch (RuntimeException e) {
      throw new IOException(file + ": not valid YAML: " + e.getMessage(), e);
    }
  }

  private static List<Finding> layout(CheckInput in) {
    List<Finding> out = new ArrayList<>();
    String configDir = CheckInput.string(in.recipe(), "sshd.configDir");
    List<String> expected =
        List.of(
            "rootfs"
                + (configDir == null ? "/etc/ssh/sshd_config.d" : configDir)
                + "/00-kiln-hardening.conf",
            "rootfs/etc/fail2ban/jail.d/00-kiln.local",
            "rootfs/usr/libexec/kiln/lock-root",
            "packer/provision.sh");
    for (String rel : expected) {
      if (!Files.isRegularFile(in.bundleDir().resolve(rel))) {
        out.add(
            new Finding(
                in.recipeId(),
                "bundle",
                0,
                rel + " is missing from the bundle; run kiln:render (bundle.yaml lists it)",
                "bundle " + in.bundleDir()));
      }
    }
    return out;
  }
}
