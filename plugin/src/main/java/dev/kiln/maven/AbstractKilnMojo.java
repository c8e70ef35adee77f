package dev.kiln.maven;

import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.InvalidParametersException;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnFailure;
import dev.kiln.spec.Props;
import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.maven.execution.MavenSession;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

/**
 * What every Kiln goal shares: the common parameters, the skips, collecting raw values (POM and
 * {@code -D}) for the engine, and turning the engine's typed errors into messages that name the XML
 * element and the property.
 */
public abstract class AbstractKilnMojo extends AbstractMojo {

  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  protected MavenProject project;

  @Parameter(defaultValue = "${session}", readonly = true, required = true)
  protected MavenSession session;

  @Parameter(defaultValue = "${plugin}", readonly = true, required = true)
  protected PluginDescriptor plugin;

  /**
   * Skips every Kiln goal.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.SKIP, defaultValue = "false")
  protected boolean skip;

  /**
   * Where images are baked and launched: {@code aws} or {@code sandbox}. Default: {@code aws} when
   * AWS credentials are configured, else {@code sandbox}.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.CLOUD)
  protected String cloud;

  /**
   * Comma-separated recipe ids (al2023, ubuntu-24.04, ubuntu-22.04, debian-12, rhel-9, or the
   * user's own). Default: every recipe.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.RECIPES)
  protected String recipes;

  /**
   * A directory of templates whose files override the built-in ones by relative name.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.TEMPLATES_DIR)
  protected String templatesDir;

  /**
   * A directory of recipes ({@code <id>.yaml}) that add to or override the built-in ones.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.RECIPES_DIR)
  protected String recipesDir;

  /**
   * Where Kiln writes bundles, reports and {@code bake.json}.
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.OUTPUT_DIR, defaultValue = "${project.build.directory}/kiln")
  protected String outputDir;

  /**
   * The {@code kiln:run-id} tag of everything a bake or launch creates in a cloud (default:
   * generated per run).
   *
   * @since 0.1.0
   */
  @Parameter(property = Props.RUN_ID)
  protected String runId;

  /**
   * The sshd and fail2ban hardening; see {@link HardeningParams}.
   *
   * @since 0.1.0
   */
  @Parameter protected HardeningParams hardening;

  /**
   * IAM-governed access; see {@link AccessParams}.
   *
   * @since 0.1.0
   */
  @Parameter protected AccessParams access;

  /**
   * How to reach AWS; see {@link AwsParams}.
   *
   * @since 0.1.0
   */
  @Parameter protected AwsParams aws;

  /**
   * The local sandbox cloud; see {@link SandboxParams}.
   *
   * @since 0.1.0
   */
  @Parameter protected SandboxParams sandbox;

  @Override
  public final void execute() throws MojoExecutionException, MojoFailureException {
    if (skip || skipGoal()) {
      getLog().info("Skipping Kiln " + goal() + " (" + Props.SKIP + " or the goal's skip is set)");
      return;
    }
    long start = System.nanoTime();
    try {
      run();
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

  /** The goal's name, for messages. */
  protected abstract String goal();

  /** The goal's own skip flag. */
  protected abstract boolean skipGoal();

  /** Reads the goal's parameters and calls one engine entry point. */
  protected abstract void run() throws KilnException, MojoExecutionException;

  /** The Kiln version, part of every bake key. */
  protected String kilnVersion() {
    return plugin == null ? "dev" : plugin.getVersion();
  }

  /**
   * Raw values by parameter path for the engine: top-level parameters, then every field of the
   * nested elements, where {@code -Dkiln.<element>.<field>} wins over the POM.
   */
  protected Map<String, String> rawParameters() {
    Map<String, String> raw = new LinkedHashMap<>();
    put(raw, "recipes", recipes);
    put(raw, "templatesDir", templatesDir);
    put(raw, "recipesDir", recipesDir);
    put(raw, "outputDir", outputDir);
    put(raw, "cloud", cloud);
    nested(raw, "hardening", hardening, HardeningParams.class);
    nested(raw, "access", access, AccessParams.class);
    nested(raw, "aws", aws, AwsParams.class);
    nested(raw, "sandbox", sandbox, SandboxParams.class);
    return raw;
  }

  /** Adds the fields of a nested element (which may be absent from the POM). */
  protected void nested(Map<String, String> raw, String prefix, Object element, Class<?> type) {
    for (Field f : type.getDeclaredFields()) {
      if (java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
        continue;
      }
      String path = prefix + "." + f.getName();
      String value = property(Props.PREFIX + path, null);
      if (value == null && element != null) {
        try {
          f.setAccessible(true);
          Object v = f.get(element);
          value = v == null ? null : String.valueOf(v);
        } catch (IllegalAccessException e) {
          throw new IllegalStateException("cannot read " + path, e);
        }
      }
      put(raw, path, value);
    }
  }

  /** A {@code -D} value (user, then system properties), else {@code pomValue}. */
  protected String property(String property, String pomValue) {
    String v = session == null ? null : session.getUserProperties().getProperty(property);
    if (v == null && session != null) {
      v = session.getSystemProperties().getProperty(property);
    }
    return v != null ? v : pomValue;
  }

  /** The cloud, {@code <aws>} and {@code <sandbox>} settings, validated. */
  protected CloudSettings cloudSettings() throws KilnException {
    return CloudSettings.parse(rawParameters(), project.getBasedir().toPath());
  }

  private static void put(Map<String, String> raw, String path, String value) {
    if (value != null) {
      raw.put(path, value);
    }
  }

  /** The message a user sees: the parameter in both spellings, the value, the expected form. */
  static String describe(KilnException e) {
    StringBuilder sb = new StringBuilder();
    if (e instanceof InvalidParametersException ipe) {
      var problems = ipe.problems();
      sb.append(problems.size() == 1 ? "Invalid parameter: " : "Invalid parameters:");
      for (var p : problems) {
        sb.append(problems.size() == 1 ? "" : "\n  - ")
            .append(ParameterNames.both(p.parameter()))
            .append(" is '")
            .append(p.value())
            .append("', expected ")
            .append(p.expected());
      }
      return sb.toString();
    }
    e.parameter().ifPresent(p -> sb.append(ParameterNames.both(p)).append(": "));
    sb.append(e.getMessage());
    for (String d : e.details()) {
      sb.append("\n  - ").append(d);
    }
    return sb.toString();
  }
}
