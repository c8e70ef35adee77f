package dev.kiln.render;

import dev.kiln.spec.KilnException;
import dev.kiln.spec.Layers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/** The files a bundle holds, read from {@code bundle.yaml} (data, overridable by a user). */
public record BundleLayout(List<Entry> entries) {
  private static final Pattern MODE = Pattern.compile("0[0-7]{3}");
  private static final Pattern OWNER = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");

  private static final Pattern WHEN =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}(\\.[A-Za-z_][A-Za-z0-9_]{0,63}){0,4}");

  /**
   * One output file: its bundle path, its template's name, mode and ownership; {@code when}, if not
   * empty, names a template variable ({@code hardening.bannerText}, {@code waysIn.breakGlass}) that
   * must be set (not null, not empty, not false) for the file to be in the bundle at all.
   */
  public record Entry(
      String path, String template, String mode, String owner, String group, String when) {
    public boolean rendered() {
      return template.endsWith(".j2");
    }

    /** Whether the file belongs in a bundle rendered with these template variables. */
    public boolean included(Map<String, Object> context) {
      if (when.isEmpty()) {
        return true;
      }
      Object v = context;
      for (String k : when.split("\\.")) {
        v = v instanceof Map<?, ?> m ? m.get(k) : null;
      }
      return v != null && !String.valueOf(v).isEmpty() && !Boolean.FALSE.equals(v);
    }
  }

  static BundleLayout read(Layers templates) throws KilnException {
    Object doc;
    try {
      byte[] bytes =
          templates
              .read("bundle.yaml")
              .orElseThrow(() -> new IOException("bundle.yaml is missing from the templates"));
      doc =
          new Yaml(new SafeConstructor(new LoaderOptions()))
              .load(new String(bytes, StandardCharsets.UTF_8));
    } catch (IOException | YAMLException e) {
      throw new KilnException("templatesDir", "bundle.yaml: " + e.getMessage(), List.of(), e);
    }
    List<String> problems = new ArrayList<>();
    List<Entry> entries = new ArrayList<>();
    Object files = doc instanceof Map<?, ?> m ? m.get("files") : null;
    if (!(files instanceof List<?> list)) {
      throw new KilnException(
          "templatesDir", "bundle.yaml: expected a list 'files'", List.of(), null);
    }
    for (int i = 0; i < list.size(); i++) {
      if (!(list.get(i) instanceof Map<?, ?> e)) {
        problems.add("files[" + i + "]: expected a map");
        continue;
      }
      String path = str(e.get("path"));
      String template = str(e.get("template"));
      String mode = str(e.get("mode"));
      String owner = e.get("owner") == null ? "root" : str(e.get("owner"));
      String group = e.get("group") == null ? "root" : str(e.get("group"));
      String when = str(e.get("when"));
      if (!when.isEmpty() && !WHEN.matcher(when).matches()) {
        problems.add("files[" + i + "].when: '" + when + "' must name a template variable");
      }
      if (!Layers.isSafe(path) || !(path.startsWith("rootfs/") || path.startsWith("packer/"))) {
        problems.add(
            "files["
                + i
                + "].path: '"
                + path
                + "' must be a relative path under rootfs/ or packer/");
      }
      if (!Layers.isSafe(template)) {
        problems.add("files[" + i + "].template: '" + template + "' must be a relative name");
      }
      if (!MODE.matcher(mode).matches()) {
        problems.add(
            "files[" + i + "].mode: '" + mode + "' must be an octal mode such as \"0644\"");
      }
      if (!OWNER.matcher(owner).matches() || !OWNER.matcher(group).matches()) {
        problems.add("files[" + i + "]: owner and group must be user/group names");
      }
      entries.add(new Entry(path, template, mode, owner, group, when));
    }
    if (!problems.isEmpty()) {
      throw new KilnException("bundle.yaml is invalid", problems);
    }
    return new BundleLayout(List.copyOf(entries));
  }

  private static String str(Object o) {
    return o == null ? "" : String.valueOf(o);
  }
}
