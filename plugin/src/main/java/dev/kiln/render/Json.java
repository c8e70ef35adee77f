package dev.kiln.render;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Kiln's one JSON library (Jackson) and its canonical form: object keys sorted, two-space indent,
 * {@code "key": value}, {@code \n} line ends, no trailing whitespace; the same value always gives
 * the same bytes (bundle manifests and the bake key depend on it). Paths are written as plain
 * strings.
 */
public final class Json {
  private static final ObjectMapper MAPPER = mapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private Json() {}

  private static ObjectMapper mapper() {
    SimpleModule paths = new SimpleModule("kiln-paths");
    paths.addSerializer(Path.class, ToStringSerializer.instance);
    paths.addDeserializer(
        Path.class,
        new FromStringDeserializer<Path>(Path.class) {
          @Override
          protected Path _deserialize(
              String value, com.fasterxml.jackson.databind.DeserializationContext c) {
            return Path.of(value);
          }
        });
    return JsonMapper.builder()
        .addModule(paths)
        .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
        .build();
  }

  /** The canonical text of {@code value} (maps, lists, records, scalars), ending in a newline. */
  public static String write(Object value) {
    try {
      // Through a tree of maps first: records then sort by key like maps do.
      Object tree = MAPPER.convertValue(value, Object.class);
      return MAPPER.writer(new Canonical()).writeValueAsString(tree) + "\n";
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getMessage(), e);
    }
  }

  /** Writes {@code value} canonically to {@code file}, atomically. */
  public static void writeFile(Path file, Object value) throws IOException {
    AtomicFile.write(file, write(value));
  }

  /** As {@link #writeFile}, failing with a {@link KilnException} that names the file. */
  public static void save(Path file, Object value) throws KilnException {
    try {
      writeFile(file, value);
    } catch (IOException e) {
      throw new KilnException(
          "outputDir", "cannot write " + file + ": " + e.getMessage(), List.of(), e);
    }
  }

  /** Parses a JSON object. */
  public static Map<String, Object> parseMap(String text) throws IOException {
    Map<String, Object> m = MAPPER.readValue(text, MAP);
    if (m == null) {
      throw new IOException("not a JSON object");
    }
    return m;
  }

  /** Parses JSON into {@code type}. */
  public static <T> T parse(String text, Class<T> type) throws IOException {
    return MAPPER.readValue(text, type);
  }

  /** A map or record as {@code type} (a typed view of untyped data). */
  public static <T> T convert(Object value, Class<T> type) {
    return MAPPER.convertValue(value, type);
  }

  /** The JSON object in {@code file}, or empty when there is no such file. */
  public static Optional<Map<String, Object>> readMap(Path file) throws KilnException {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(parseMap(Files.readString(file)));
    } catch (IOException | RuntimeException e) {
      throw new KilnException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** {@code file} as {@code type}, or empty when there is no such file. */
  public static <T> Optional<T> read(Path file, Class<T> type) throws KilnException {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.ofNullable(parse(Files.readString(file), type));
    } catch (IOException | RuntimeException e) {
      throw new KilnException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Two-space indent, {@code ": "}, {@code {}} and {@code []} when empty. */
  private static final class Canonical extends DefaultPrettyPrinter {
    private static final long serialVersionUID = 1L;

    Canonical() {
      super(
          Separators.createDefaultInstance()
              .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
              .withObjectEmptySeparator("")
              .withArrayEmptySeparator("")
              .withRootSeparator(""));
      DefaultIndenter indent = new DefaultIndenter("  ", "\n");
      indentObjectsWith(indent);
      indentArraysWith(indent);
    }

    @Override
    public DefaultPrettyPrinter createInstance() {
      return new Canonical();
    }
  }
}
