package dev.kiln.render;

import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.Layers;
import dev.kiln.spec.Recipe;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders one bundle per recipe. Everything is rendered in memory first; only when every recipe
 * rendered is anything written, each bundle replaced as a whole.
 */
public final class Renderer {
  public static final String CLASSPATH_BASE = "kiln/templates";

  /** A written bundle: its recipe, directory and digest. */
  public record Rendered(String recipe, Path dir, String bundleDigest) {}

  private final Layers templates;
  private final TemplateEngine engine;

  public Renderer(Path userTemplatesDir) {
    this.templates = new Layers(userTemplatesDir, CLASSPATH_BASE, Renderer.class.getClassLoader());
    this.engine = new TemplateEngine(templates);
  }

  /** Renders and writes every recipe's bundle under {@code spec.outputDir()}. */
  public List<Rendered> renderAll(KilnSpec spec, String kilnVersion) throws KilnException {
    List<Bundle> bundles = new ArrayList<>();
    for (Recipe r : spec.recipes()) {
      bundles.add(render(spec, r, kilnVersion));
    }
    List<Rendered> out = new ArrayList<>();
    for (Bundle b : bundles) {
      Path dir = spec.outputDir().resolve(b.recipe());
      try {
        BundleWriter.write(b, b.manifest(kilnVersion), dir);
      } catch (IOException e) {
        throw new KilnException(
            "outputDir", "cannot write " + dir + ": " + e.getMessage(), List.of(), e);
      }
      out.add(new Rendered(b.recipe(), dir, b.digest()));
    }
    return out;
  }

  /** Renders one recipe's bundle in memory. */
  public Bundle render(KilnSpec spec, Recipe recipe, String kilnVersion) throws KilnException {
    Map<String, Object> context = context(spec, recipe, kilnVersion);
    // Files whose `when` is unset (break-glass without its CA, ...) are not rendered at all.
    List<BundleLayout.Entry> entries =
        BundleLayout.read(templates).entries().stream().filter(e -> e.included(context)).toList();
    context.put(
        "files",
        entries.stream()
            .filter(e -> e.path().startsWith("rootfs/"))
            .map(
                e ->
                    Map.<String, Object>of(
                        "path", e.path(), "mode", e.mode(), "owner", e.owner(), "group", e.group()))
            .toList());
    List<BundleFile> files = new ArrayList<>();
    for (BundleLayout.Entry e : entries) {
      byte[] source = read(e.template());
      byte[] content =
          e.rendered()
              ? engine
                  .render(e.template(), new String(source, StandardCharsets.UTF_8), context)
                  .getBytes(StandardCharsets.UTF_8)
              : source;
      files.add(new BundleFile(e.path(), e.mode(), e.owner(), e.group(), content));
    }
    // The recipe travels with its bundle: validate and bake read it, and it is part of the key.
    files.add(new BundleFile("recipe.yaml", "0644", "root", "root", recipe.source()));
    return new Bundle(recipe.id(), files);
  }

  private byte[] read(String template) throws KilnException {
    try {
      return templates
          .read(template)
          .orElseThrow(() -> new IOException("no template named '" + template + "'"));
    } catch (IOException e) {
      throw new KilnException("templatesDir", e.getMessage(), List.of(), e);
    }
  }

  private static Map<String, Object> context(KilnSpec spec, Recipe recipe, String kilnVersion) {
    Map<String, Object> ctx = new LinkedHashMap<>();
    ctx.put("recipe", recipe.data());
    ctx.put("hardening", spec.hardening().toTemplateMap());
    ctx.put("sshd", spec.sshdByRecipe().get(recipe.id()));
    Map<String, Object> access = new LinkedHashMap<>(spec.access().toMap());
    access.putAll(spec.waysIn().accessJson(recipe));
    ctx.put("access", access);
    ctx.put("access_json", Json.write(access).stripTrailing());
    ctx.put("waysIn", spec.waysIn().toTemplateMap());
    ctx.put("kiln", Map.of("version", kilnVersion));
    return ctx;
  }
}
