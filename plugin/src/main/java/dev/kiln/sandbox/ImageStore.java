package dev.kiln.sandbox;

import dev.kiln.render.Json;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The sandbox's images, persisted across runs: {@code <cacheDir>/images/index.json} (AMI id, name,
 * region, tags, source, base, layer) and one layer directory per AMI ({@code images/<ami>/layer},
 * the builder overlay's upper directory). The emulator's view is rebuilt from the index at start.
 *
 * <p>An image enters the store complete or not at all: the bake adds it ({@link #add}) only once it
 * carries its bake key and run id, moving the layer and writing the index under the store's lock.
 * {@link #sweep} removes what an interrupted older run left: entries without those tags, entries
 * whose layer is gone, and layer directories the index does not name.
 */
public final class ImageStore {
  /** One image: the layer applies on top of {@code base} (a base root filesystem directory). */
  public record Entry(
      String id,
      String name,
      String region,
      String architecture,
      String sourceAmi,
      String base,
      Map<String, String> tags) {
    public Entry {
      tags = Map.copyOf(tags);
    }

    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", id);
      m.put("name", name);
      m.put("region", region);
      m.put("architecture", architecture);
      m.put("sourceAmi", sourceAmi);
      m.put("base", base);
      m.put("tags", tags);
      return m;
    }

    @SuppressWarnings("unchecked")
    static Entry fromMap(Map<String, Object> m) {
      Map<String, String> t = new LinkedHashMap<>();
      ((Map<String, Object>) m.getOrDefault("tags", Map.of()))
          .forEach((k, v) -> t.put(k, String.valueOf(v)));
      return new Entry(
          (String) m.get("id"),
          (String) m.get("name"),
          (String) m.get("region"),
          (String) m.get("architecture"),
          (String) m.get("sourceAmi"),
          (String) m.get("base"),
          t);
    }
  }

  /** Tags every stored image carries (the bake key and the run id of the bake that made it). */
  public static final List<String> REQUIRED_TAGS = List.of("kiln:bake-key", "kiln:run-id");

  private final Path dir;

  public ImageStore(Path cacheDir) {
    this.dir = cacheDir.resolve("images");
  }

  public Path dir() {
    return dir;
  }

  /** The image's layer directory. */
  public Path layer(String amiId) {
    return imageDir(amiId).resolve("layer");
  }

  /** The directory that holds the image's layer. */
  private Path imageDir(String amiId) {
    return dir.resolve(amiId);
  }

  /** Every image whose layer exists. */
  public List<Entry> list() throws KilnException {
    List<Entry> out = new ArrayList<>();
    for (Entry e : read()) {
      if (Files.isDirectory(layer(e.id()))) {
        out.add(e);
      }
    }
    return out;
  }

  public Optional<Entry> get(String amiId) throws KilnException {
    return list().stream().filter(e -> e.id().equals(amiId)).findFirst();
  }

  /** Moves {@code upper} into the store as the layer of {@code entry} and records it. */
  public void add(Entry entry, Path upper) throws KilnException {
    withLock(
        () -> {
          Path target = layer(entry.id());
          Files.createDirectories(imageDir(entry.id()));
          Files2.deleteTree(target);
          Files.move(upper, target, StandardCopyOption.ATOMIC_MOVE);
          List<Entry> all = new ArrayList<>(read());
          all.removeIf(e -> e.id().equals(entry.id()));
          all.add(entry);
          write(all);
        });
  }

  /** Records another id for an existing layer (a copy to another region shares the layer). */
  public void alias(Entry entry, String existingId) throws KilnException {
    withLock(
        () -> {
          Path target = layer(entry.id());
          Files.createDirectories(imageDir(entry.id()));
          if (!Files.exists(target)) {
            Files.createSymbolicLink(target, layer(existingId).toAbsolutePath());
          }
          List<Entry> all = new ArrayList<>(read());
          all.removeIf(e -> e.id().equals(entry.id()));
          all.add(entry);
          write(all);
        });
  }

  /** Updates the recorded tags of an image. */
  public void tag(String amiId, Map<String, String> tags) throws KilnException {
    withLock(
        () -> {
          List<Entry> all = new ArrayList<>();
          for (Entry e : read()) {
            if (e.id().equals(amiId)) {
              Map<String, String> t = new LinkedHashMap<>(e.tags());
              t.putAll(tags);
              e =
                  new Entry(
                      e.id(), e.name(), e.region(), e.architecture(), e.sourceAmi(), e.base(), t);
            }
            all.add(e);
          }
          write(all);
        });
  }

  /** Forgets images and deletes their layers. */
  public void remove(List<String> amiIds) throws KilnException {
    if (amiIds.isEmpty()) {
      return;
    }
    withLock(
        () -> {
          List<Entry> all = new ArrayList<>(read());
          all.removeIf(e -> amiIds.contains(e.id()));
          write(all);
          for (String id : amiIds) {
            Files2.deleteTree(dir.resolve(id));
          }
        });
  }

  /**
   * Removes, under the store's lock (so never a live bake's half-added image): entries without a
   * {@link #REQUIRED_TAGS required tag} and their layers, entries whose layer is gone, directories
   * no entry names, leftover temporary index files. One log line per removal.
   */
  public List<String> sweep(Consumer<String> log) throws KilnException {
    List<String> removed = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return removed;
    }
    withLock(
        () -> {
          List<Entry> keep = new ArrayList<>();
          for (Entry e : read()) {
            List<String> missing =
                REQUIRED_TAGS.stream().filter(t -> !e.tags().containsKey(t)).toList();
            if (!missing.isEmpty()) {
              Files2.deleteTree(imageDir(e.id()));
              removed.add(e.id());
              log.accept(
                  "Removed sandbox image "
                      + e.id()
                      + " from the store: it has no "
                      + String.join(" or ", missing)
                      + " tag (left by a bake that was interrupted while registering it)");
            } else if (!Files.isDirectory(layer(e.id()))) {
              Files2.deleteTree(imageDir(e.id()));
              removed.add(e.id());
              log.accept("Removed sandbox image " + e.id() + " from the store: its layer is gone");
            } else {
              keep.add(e);
            }
          }
          if (!removed.isEmpty()) {
            write(keep);
          }
          List<Path> listed;
          try (Stream<Path> s = Files.list(dir)) {
            listed = s.toList();
          }
          for (Path p : listed) {
            String n = String.valueOf(p.getFileName());
            boolean named = keep.stream().anyMatch(e -> e.id().equals(n));
            if (n.startsWith(".index-") || (Files.isDirectory(p) && !named)) {
              Files2.deleteTree(p);
              if (!Files.exists(p)) {
                removed.add(n);
                log.accept("Removed " + p + " from the sandbox image store: no image names it");
              }
            }
          }
        });
    return removed;
  }

  @SuppressWarnings("unchecked")
  private List<Entry> read() throws KilnException {
    Path index = dir.resolve("index.json");
    if (!Files.isRegularFile(index)) {
      return List.of();
    }
    try {
      Map<String, Object> o = Json.parseMap(Files.readString(index));
      List<Entry> out = new ArrayList<>();
      if (o.get("images") instanceof List<?> l) {
        for (Object e : l) {
          out.add(Entry.fromMap((Map<String, Object>) e));
        }
      }
      return out;
    } catch (IOException | RuntimeException e) {
      throw new KilnException(
          "cannot read the sandbox image index " + index + ": " + e.getMessage(), e);
    }
  }

  private void write(List<Entry> all) throws IOException {
    Json.writeFile(
        dir.resolve("index.json"), Map.of("images", all.stream().map(Entry::toMap).toList()));
  }

  private interface IoAction {
    void run() throws IOException, KilnException;
  }

  private void withLock(IoAction action) throws KilnException {
    try {
      Files.createDirectories(dir);
      try (FileChannel ch =
              FileChannel.open(
                  dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock lock = ch.lock()) {
        action.run();
      }
    } catch (IOException e) {
      throw new KilnException(
          "cannot update the sandbox image store " + dir + ": " + e.getMessage(), e);
    }
  }
}
