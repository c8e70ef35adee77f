package dev.kiln.render;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A recipe's rendered files, sorted by path, and the digest over all of them. */
public record Bundle(String recipe, List<BundleFile> files) {

  public Bundle {
    files = files.stream().sorted(Comparator.comparing(BundleFile::path)).toList();
  }

  /**
   * {@code sha256:} over one line per file, {@code path mode owner group sha256}, in path order: a
   * change of content, mode or owner changes the digest.
   */
  public String digest() {
    StringBuilder sb = new StringBuilder();
    for (BundleFile f : files) {
      sb.append(f.path())
          .append(' ')
          .append(f.mode())
          .append(' ')
          .append(f.owner())
          .append(' ')
          .append(f.group())
          .append(' ')
          .append(f.sha256())
          .append('\n');
    }
    return "sha256:" + BundleFile.sha256(sb.toString());
  }

  /** The text of {@code manifest.json}. */
  public String manifest(String kilnVersion) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("recipe", recipe);
    m.put("bundleDigest", digest());
    m.put("kilnVersion", kilnVersion);
    m.put(
        "files",
        files.stream()
            .map(
                f ->
                    Map.<String, Object>of(
                        "path", f.path(),
                        "mode", f.mode(),
                        "owner", f.owner(),
                        "group", f.group(),
                        "sha256", f.sha256()))
            .toList());
    return Json.write(m);
  }
}
