package dev.kiln.sandbox;

import dev.kiln.check.SshdCommandLine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The sandbox has no systemd: a candidate starts sshd the way systemd would start the image's sshd
 * unit, from the unit file, its drop-ins and its EnvironmentFile, read from the candidate's layers
 * (topmost first) on the host, as the overlay would show them. So a unit drop-in with {@code -o}
 * options in the image (Instance Connect's) reaches the live daemon, as on EC2.
 *
 * <p>No symbolic link is followed out of a layer: a path through a link is not read, a unit or
 * drop-in linked to /dev/null is masked, an overlay whiteout hides what lies below it.
 */
final class SshdUnit {
  private SshdUnit() {}

  /** systemd's unit directories, in its order of precedence (relative to the root). */
  static final List<String> UNIT_DIRS =
      List.of("etc/systemd/system", "run/systemd/system", "usr/lib/systemd/system");

  /** The ExecStart of {@code unit} (e.g. {@code ssh}) in these layers; empty when there is none. */
  static List<String> execStart(List<Path> layers, String unit) {
    List<SshdCommandLine.UnitFile> files = unitFiles(layers, unit);
    Map<String, String> env =
        read(layers, "etc/default/" + unit).map(SshdCommandLine::environment).orElse(Map.of());
    return SshdCommandLine.execStart(files, env);
  }

  /** The unit file, then its drop-ins by file name (a name in a higher directory hides a lower). */
  static List<SshdCommandLine.UnitFile> unitFiles(List<Path> layers, String unit) {
    List<SshdCommandLine.UnitFile> out = new ArrayList<>();
    String name = unit + ".service";
    for (String dir : UNIT_DIRS) {
      Optional<String> text = read(layers, dir + "/" + name);
      if (text.isPresent()) {
        out.add(new SshdCommandLine.UnitFile("/" + dir + "/" + name, text.get()));
        break;
      }
    }
    TreeMap<String, String> dropIns = new TreeMap<>();
    for (String dir : UNIT_DIRS) {
      for (String f : names(layers, dir + "/" + name + ".d")) {
        if (f.endsWith(".conf")) {
          dropIns.putIfAbsent(f, dir + "/" + name + ".d/" + f);
        }
      }
    }
    for (String path : dropIns.values()) {
      read(layers, path).ifPresent(t -> out.add(new SshdCommandLine.UnitFile("/" + path, t)));
    }
    return out;
  }

  /** What the overlay shows at {@code rel}: the topmost layer's regular file, else empty. */
  static Optional<String> read(List<Path> layers, String rel) {
    for (Path layer : layers) {
      Path p = inLayer(layer, rel);
      if (p == null || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
        return Optional.empty(); // masked (a link), a whiteout or a directory
      }
      try {
        return Optional.of(Files.readString(p, StandardCharsets.UTF_8));
      } catch (IOException e) {
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** The names in directory {@code rel}, merged over the layers (hidden ones included). */
  private static List<String> names(List<Path> layers, String rel) {
    List<String> out = new ArrayList<>();
    for (Path layer : layers) {
      Path d = inLayer(layer, rel);
      if (d == null || !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try (Stream<Path> s = Files.list(d)) {
        s.map(p -> String.valueOf(p.getFileName())).filter(n -> !out.contains(n)).forEach(out::add);
      } catch (IOException e) {
        // unreadable: as if empty
      }
    }
    return out;
  }

  /** {@code layer/rel}, or null when a directory on the way is a symbolic link. */
  private static Path inLayer(Path layer, String rel) {
    Path p = layer;
    String[] parts = rel.split("/");
    for (int i = 0; i < parts.length; i++) {
      p = p.resolve(parts[i]);
      if (i < parts.length - 1 && Files.isSymbolicLink(p)) {
        return null;
      }
    }
    return p;
  }
}
