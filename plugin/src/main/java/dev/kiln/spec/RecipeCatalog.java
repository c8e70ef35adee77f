package dev.kiln.spec;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The built-in recipes (the ami-recipes jar) plus a user's directory, whose {@code <id>.yaml} files
 * add recipes or override built-ins of the same id. Every recipe is checked against {@code
 * recipe.schema.json} when it is loaded.
 */
public final class RecipeCatalog {
  public static final String CLASSPATH_BASE = "kiln/recipes";
  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9.-]{0,39}");

  private final Layers layers;

  public RecipeCatalog(Path userDir) {
    this.layers = new Layers(userDir, CLASSPATH_BASE, RecipeCatalog.class.getClassLoader());
  }

  /** Every recipe id, sorted: the built-ins' index and the user's {@code *.yaml} files. */
  public List<String> ids() throws KilnException {
    TreeSet<String> ids = new TreeSet<>();
    try {
      String index =
          new String(
              layers.read("index.txt").orElseThrow(() -> new IOException("no recipe index")),
              StandardCharsets.UTF_8);
      index
          .lines()
          .map(String::trim)
          .filter(l -> !l.isEmpty() && !l.startsWith("#"))
          .forEach(ids::add);
      if (layers.userDir() != null && Files.isDirectory(layers.userDir())) {
        try (Stream<Path> files = Files.list(layers.userDir())) {
          files
              .map(
                  f ->
                      Objects.requireNonNull(f.getFileName(), "a listed file has a name")
                          .toString())
              .filter(n -> n.endsWith(".yaml"))
              .map(n -> n.substring(0, n.length() - ".yaml".length()))
              .filter(id -> ID.matcher(id).matches())
              .forEach(ids::add);
        }
      }
    } catch (IOException e) {
      throw new KilnException("recipesDir", "cannot list recipes: " + e.getMessage(), List.of(), e);
    }
    return List.copyOf(ids);
  }

  /** Loads and schema-checks the recipes named, in the order given. */
  public List<Recipe> load(List<String> wanted) throws KilnException {
    List<String> known = ids();
    for (String id : wanted) {
      if (!known.contains(id)) {
        throw KilnException.badParameter(
            "recipes",
            String.join(",", wanted),
            "a comma-separated list of recipe ids from " + known);
      }
    }
    Map<String, Object> schema = schema();
    List<Recipe> out = new ArrayList<>();
    for (String id : wanted) {
      out.add(load(id, schema));
    }
    return out;
  }

  private Recipe load(String id, Map<String, Object> schema) throws KilnException {
    String file = id + ".yaml";
    String where =
        layers.userHas(file) ? layers.userDir().resolve(file).toString() : "built-in " + file;
    byte[] bytes;
    Object data;
    try {
      bytes = layers.read(file).orElseThrow(() -> new IOException("not found"));
      data =
          new Yaml(new SafeConstructor(new LoaderOptions()))
              .load(new String(bytes, StandardCharsets.UTF_8));
    } catch (IOException | YAMLException e) {
      throw new KilnException("recipe " + where + " cannot be read: " + e.getMessage(), e);
    }
    List<String> problems = Schema.validate(data, schema);
    if (problems.isEmpty() && data instanceof Map<?, ?> m && !id.equals(m.get("id"))) {
      problems = List.of("id: '" + m.get("id") + "' differs from the file name's '" + id + "'");
    }
    if (!problems.isEmpty()) {
      throw new KilnException("recipe " + where + " does not match recipe.schema.json", problems);
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) data;
    return new Recipe(id, bytes, map);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> schema() throws KilnException {
    try (var in =
        RecipeCatalog.class
            .getClassLoader()
            .getResourceAsStream(CLASSPATH_BASE + "/recipe.schema.json")) {
      if (in == null) {
        throw new KilnException("recipe.schema.json is missing from the kiln-ami-recipes jar");
      }
      return new ObjectMapper().readValue(in, Map.class);
    } catch (IOException e) {
      throw new KilnException("recipe.schema.json cannot be read: " + e.getMessage(), e);
    }
  }
}
