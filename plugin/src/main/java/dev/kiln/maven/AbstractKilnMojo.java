package dev.kiln.maven;

import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.InvalidParametersException;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnFailure;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterTable;
import dev.kiln.spec.ParameterValues;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

/**
 * What every Kiln goal shares: reading every parameter of the table (POM and {@code -D}, where
 * {@code -D} wins), validating them all in one pass before any work, the skips, and turning the
 * engine's typed errors into messages that name the XML element and the property.
 */
public abstract class AbstractKilnMojo extends KilnParameters {

  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  protected MavenProject project;

  @Parameter(defaultValue = "${session}", readonly = true, required = true)
  protected MavenSession session;

  @Parameter(defaultValue = "${plugin}", readonly = true, required = true)
  protected PluginDescriptor plugin;

  /**
   * This execution, for its configuration as written: Maven hands a {@code Map<String, Object>}
   * element only the text of its direct children, so {@code <access><breakGlass><caPublicKey>} is
   * read from here.
   */
  @Parameter(defaultValue = "${mojoExecution}", readonly = true)
  protected org.apache.maven.plugin.MojoExecution mojoExecution;

  /** The validated parameters of this execution (set before {@link #run}). */
  private ParameterValues values;

  /** User properties for tests that run a goal without a Maven session. */
  private Properties testProperties;

  @Override
  public final void execute() throws MojoExecutionException, MojoFailureException {
    long start = System.nanoTime();
    try {
      Path base = project.getBasedir().toPath();
      Map<String, String> raw = rawParameters();
      Map<String, String> skips = new LinkedHashMap<>();
      for (String s : List.of("skip", goal() + ".skip")) {
        if (raw.containsKey(s)) {
          skips.put(s, raw.get(s));
        }
      }
      ParameterValues skip = ParameterValues.parse(skips, base);
      if (skip.bool("skip") || skip.bool(goal() + ".skip")) {
        getLog().info("Skipping Kiln " + goal() + " (kiln.skip or kiln." + goal() + ".skip)");
        return;
      }
      values = ParameterValues.parse(raw, base);
      KilnSpec spec = KilnSpec.from(values);
      run(values, spec);
    } catch (KilnFailure e) {
      throw new MojoFailureException(describe(e), e);
    } catch (KilnException e) {
      throw new MojoExecutionException(describe(e), e);
    } finally {
      recordStepTime(goal(), (System.nanoTime() - start) / 1_000_000);
    }
  }

  /**
   * Logs the goal's time and keeps it in the project's properties ({@code kiln.time.<goal>}), so
   * the last goal of a build can print the time of each step.
   */
  private void recordStepTime(String goal, long millis) {
    if (project == null) {
      return;
    }
    Properties props = project.getProperties();
    props.setProperty("kiln.time." + goal, Long.toString(millis));
    StringBuilder steps = new StringBuilder();
    for (String g : STEPS) {
      String t = props.getProperty("kiln.time." + g);
      if (t != null) {
        steps.append(steps.length() == 0 ? "" : ", ").append(g).append(' ').append(t).append(" ms");
      }
    }
    getLog()
        .info(
            "Kiln "
                + goal
                + " took "
                + millis
                + " ms"
                + ("terminate".equals(goal) ? " — steps: " + steps : ""));
  }

  private static final java.util.List<String> STEPS =
      java.util.List.of("render", "validate", "bake", "launch", "verify", "terminate");

  /** The goal's name, for messages and its {@code kiln.<goal>.skip}. */
  protected abstract String goal();

  /**
   * Calls one engine entry point with values that are all valid.
   *
   * @param v every parameter, parsed
   * @param spec the recipes, hardening and access those values describe
   */
  protected abstract void run(ParameterValues v, KilnSpec spec)
      throws KilnException, MojoExecutionException;

  /** The Kiln version, part of every bake key. */
  protected String kilnVersion() {
    return plugin == null ? "dev" : plugin.getVersion();
  }

  /**
   * Raw values by parameter path: for each parameter of the table, {@code -Dkiln.<path>} when set,
   * else the POM's value; plus every unknown key of a nested element and every unknown {@code
   * -Dkiln.*} property, which the table then refuses by name.
   */
  protected Map<String, String> rawParameters() {
    Map<String, String> raw = new LinkedHashMap<>();
    Map<String, dev.kiln.spec.Parameter> table = ParameterTable.byPath();
    for (dev.kiln.spec.Parameter p : table.values()) {
      String v = property(p.property(), pomValue(p.group(), p.name()));
      if (v != null) {
        raw.put(p.path(), v);
      }
    }
    for (String g : ParameterTable.groups()) {
      Map<?, ?> element = element(g);
      if (element != null) {
        for (var e : element.entrySet()) {
          String path = g + "." + e.getKey();
          if (isNestedElement(table, path)) {
            unknownNested(table, path, raw);
          } else if (!table.containsKey(path)) {
            raw.put(path, text(e.getValue()));
          }
        }
      }
    }
    Properties user = userProperties();
    for (String name : user.stringPropertyNames()) {
      if (name.startsWith("kiln.") && !table.containsKey(name.substring("kiln.".length()))) {
        raw.put(name.substring("kiln.".length()), user.getProperty(name));
      }
    }
    return raw;
  }

  /** The POM's value of a top-level field or of a key of a nested element; null when absent. */
  private String pomValue(String group, String name) {
    if (group == null) {
      Object v = field(name);
      return v == null ? null : text(v);
    }
    Map<?, ?> element = element(group);
    if (name.contains(".")) {
      return nestedValue(element, group + "." + name);
    }
    if (element == null || !element.containsKey(name)) {
      return null;
    }
    return text(element.get(name));
  }

  /** Whether {@code path} is an element holding parameters ({@code access.breakGlass}). */
  private static boolean isNestedElement(Map<String, dev.kiln.spec.Parameter> table, String path) {
    return table.keySet().stream().anyMatch(k -> k.startsWith(path + "."));
  }

  /**
   * The value at a path two or more levels deep ({@code access.breakGlass.caPublicKey}): from the
   * element's map when it holds the nesting (tests set it so), else from this execution's
   * configuration as written in the POM.
   */
  private String nestedValue(Map<?, ?> element, String path) {
    String[] seg = path.split("\\.");
    String rest = path.substring(seg[0].length() + 1);
    if (element != null && element.containsKey(rest)) {
      return text(element.get(rest)); // the dotted key itself (how tests hand the nesting over)
    }
    Object cur = element;
    for (int i = 1; i < seg.length && cur instanceof Map<?, ?> m; i++) {
      cur = m.containsKey(seg[i]) ? m.get(seg[i]) : null;
      if (cur == null) {
        break;
      }
      if (i == seg.length - 1) {
        return text(cur);
      }
    }
    org.codehaus.plexus.util.xml.Xpp3Dom dom = configuration(seg);
    return dom == null ? null : text(dom.getValue());
  }

  /** The element at {@code seg} in this execution's configuration, or null. */
  private org.codehaus.plexus.util.xml.Xpp3Dom configuration(String... seg) {
    org.codehaus.plexus.util.xml.Xpp3Dom dom =
        mojoExecution == null ? null : mojoExecution.getConfiguration();
    for (int i = 0; i < seg.length && dom != null; i++) {
      dom = dom.getChild(seg[i]);
    }
    return dom;
  }

  /** Children of a nested element that the table does not know, so that it refuses them. */
  private void unknownNested(
      Map<String, dev.kiln.spec.Parameter> table, String path, Map<String, String> raw) {
    org.codehaus.plexus.util.xml.Xpp3Dom dom = configuration(path.split("\\."));
    if (dom == null) {
      return;
    }
    for (org.codehaus.plexus.util.xml.Xpp3Dom c : dom.getChildren()) {
      String child = path + "." + c.getName();
      if (!table.containsKey(child) && !isNestedElement(table, child)) {
        raw.put(child, text(c.getValue()));
      }
    }
  }

  /**
   * The text of a POM value: an empty element reads as empty (an error), nested elements as their
   * description (an error too, as no Kiln parameter has nested elements).
   */
  private static String text(Object v) {
    if (v == null) {
      return "";
    }
    return v instanceof String s ? s : "nested elements " + v;
  }

  private Map<?, ?> element(String group) {
    Object v = field(group);
    return v instanceof Map<?, ?> m ? m : null;
  }

  private Object field(String name) {
    try {
      Field f = KilnParameters.class.getDeclaredField(name);
      return f.get(this);
    } catch (NoSuchFieldException | IllegalAccessException e) {
      throw new IllegalStateException(
          "KilnParameters has no field " + name + " for the table's parameters", e);
    }
  }

  private Properties userProperties() {
    if (testProperties != null) {
      return testProperties;
    }
    return session == null ? new Properties() : session.getUserProperties();
  }

  /** Runs the goal with these user properties instead of a session's (tests). */
  void useProperties(Properties user) {
    this.testProperties = user;
  }

  /** A {@code -D} value (user, then system properties), else {@code pomValue}. */
  protected String property(String property, String pomValue) {
    String v = userProperties().getProperty(property);
    if (v == null && session != null) {
      v = session.getSystemProperties().getProperty(property);
    }
    return v != null ? v : pomValue;
  }

  /** The cloud, {@code <aws>} and {@code <sandbox>} settings, validated. */
  protected CloudSettings cloudSettings() {
    return CloudSettings.from(values);
  }

  /** The message a user sees: the parameter in both spellings, the value, the expected form. */
  static String describe(KilnException e) {
    if (e instanceof InvalidParametersException ipe) {
      return ipe.describe();
    }
    StringBuilder sb = new StringBuilder();
    e.parameter().ifPresent(p -> sb.append(dev.kiln.spec.Parameter.both(p)).append(": "));
    sb.append(e.getMessage());
    for (String d : e.details()) {
      sb.append("\n  - ").append(d);
    }
    return sb.toString();
  }
}
