package dev.kiln.bake;

import dev.kiln.render.Json;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** A rendered bundle as the bake reads it: {@code manifest.json}, {@code recipe.yaml}, template. */
public record RecipeBundle(
    String id,
    Path dir,
    String bundleDigest,
    byte[] recipeSource,
    Map<String, Object> recipe,
    String templateText) {

  public Path template() {
    return dir.resolve("packer/kiln.pkr.hcl");
  }

  @SuppressWarnings("unchecked")
  public static RecipeBundle read(Path outputDir, String id) throws KilnException {
    Path dir = outputDir.resolve(id);
    Path manifest = dir.resolve("manifest.json");
    Path recipe = dir.resolve("recipe.yaml");
    Path template = dir.resolve("packer/kiln.pkr.hcl");
    for (Path p : List.of(manifest, recipe, template)) {
      if (!Files.isRegularFile(p)) {
        throw new KilnException(
            "recipes",
            "recipe "
                + id
                + " has no rendered bundle ("
                + p
                + " is missing): run kiln:render first",
            List.of(),
            null);
      }
    }
    try {
      Object digest = Json.parseMap(Files.readString(manifest)).get("bundleDigest");
      if (!(digest instanceof String d) || d.isBlank()) {
        throw new KilnException(manifest + " has no bundleDigest");
      }
      byte[] src = Files.readAllBytes(recipe);
      Object data = new Yaml(new LoaderOptions()).load(new String(src, StandardCharsets.UTF_8));
      if (!(data instanceof Map<?, ?>)) {
        throw new KilnException(recipe + " is not a recipe map");
      }
      return new RecipeBundle(
          id,
          dir,
          d,
          src,
          (Map<String, Object>) data,
          Files.readString(template, StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      throw new KilnException("cannot read the bundle of " + id + ": " + e.getMessage(), e);
    }
  }

  public String loginUser() {
    Object u = recipe.get("loginUser");
    return u == null ? "admin" : u.toString();
  }

  /** Whether the sandbox can bake this recipe: it has a {@code sandbox} section with a suite. */
  public boolean sandbox() {
    return suite() != null;
  }

  /** The Debian suite the sandbox debootstraps for this recipe, or null. */
  public String suite() {
    return recipe.get("sandbox") instanceof Map<?, ?> m && m.get("suite") instanceof String s
        ? s
        : null;
  }

  /** Packages the official image has besides Kiln's (sandbox.basePackages). */
  public List<String> basePackages() {
    if (recipe.get("sandbox") instanceof Map<?, ?> m
        && m.get("basePackages") instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return List.of();
  }

  /** Packages the bake upgrades (packages.upgrade). */
  public List<String> upgradePackages() {
    return packageList("upgrade");
  }

  public String architecture() {
    Object a = recipe.get("architecture");
    return a == null ? "x86_64" : a.toString();
  }

  @SuppressWarnings("unchecked")
  public List<String> owners() {
    Object b = recipe.get("baseImage");
    if (b instanceof Map<?, ?> m && m.get("owners") instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return List.of();
  }

  public String namePattern() {
    Object b = recipe.get("baseImage");
    if (b instanceof Map<?, ?> m && m.get("namePattern") != null) {
      return m.get("namePattern").toString();
    }
    return "*";
  }

  /** Packages the recipe installs (packages.install + packages.upgrade). */
  public List<String> packages() {
    java.util.List<String> out = new java.util.ArrayList<>(packageList("install"));
    out.addAll(packageList("upgrade"));
    return out;
  }

  private List<String> packageList(String key) {
    if (recipe.get("packages") instanceof Map<?, ?> m && m.get(key) instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return List.of();
  }

  /** {@code sshd.<key>} of the recipe ({@code configDir}, {@code unit}), or {@code dflt}. */
  public String sshd(String key, String dflt) {
    Object s = recipe.get("sshd");
    return s instanceof Map<?, ?> m && m.get(key) != null ? m.get(key).toString() : dflt;
  }
}
