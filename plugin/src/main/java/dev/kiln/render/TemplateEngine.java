package dev.kiln.render;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.loader.ResourceLocator;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.Layers;
import java.io.IOException;
import java.nio.charset.Charset;
import java.util.List;
import java.util.Map;

/**
 * jinjava set up strictly: unknown variables and filters are errors, Jinja2-like whitespace (trim
 * and lstrip blocks), and {@code include}/{@code import} resolve only through {@link Layers} (user
 * templates first), so a template can never read a file outside the template directories.
 */
public final class TemplateEngine {
  private final Jinjava jinjava;

  public TemplateEngine(Layers templates) {
    JinjavaConfig config =
        JinjavaConfig.newBuilder()
            .withFailOnUnknownTokens(true)
            .withTrimBlocks(true)
            .withLstripBlocks(true)
            .build();
    this.jinjava = new Jinjava(config);
    this.jinjava.setResourceLocator(new LayeredLocator(templates));
  }

  /** Renders {@code text} (the template named {@code name}, for messages) with {@code context}. */
  public String render(String name, String text, Map<String, Object> context) throws KilnException {
    RenderResult result = jinjava.renderForResult(text, context);
    List<String> errors =
        result.getErrors().stream()
            .filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL)
            .map(e -> name + ":" + e.getLineno() + ": " + e.getMessage())
            .toList();
    if (!errors.isEmpty()) {
      throw new KilnException("template " + name + " failed to render", errors);
    }
    return result.getOutput();
  }

  private record LayeredLocator(Layers layers) implements ResourceLocator {
    @Override
    public String getString(String fullName, Charset encoding, JinjavaInterpreter interpreter)
        throws IOException {
      return new String(
          layers
              .read(fullName)
              .orElseThrow(() -> new IOException("no template named '" + fullName + "'")),
          encoding);
    }
  }
}
