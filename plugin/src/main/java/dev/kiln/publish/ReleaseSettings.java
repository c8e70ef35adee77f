package dev.kiln.publish;

import dev.kiln.spec.KilnException;
import dev.kiln.spec.ParameterValues;
import java.time.Duration;
import java.util.List;

/**
 * The {@code <publish>}, {@code <rollout>} and {@code <prune><keepPublished>} parameters, validated
 * in one pass (every invalid value is reported, each naming its parameter).
 *
 * @param parameter the SSM parameter name; {@code {recipe}} stands for the recipe id
 * @param label the label moved to each published version
 * @param launchTemplate a launch template id or name that gets a version per image, or null
 * @param setDefault whether that version becomes the template's default
 * @param publishTimeout how long to wait until a new parameter version is readable
 * @param group the Auto Scaling group (AWS) or sandbox group name, or null
 * @param size the sandbox group's size
 * @param minHealthyPercentage instances kept healthy during a rollout
 * @param maxHealthyPercentage capacity a rollout may use (100 to 200, at most min + 100)
 * @param autoRollback AWS: roll back a failed instance refresh
 * @param alarms AWS: CloudWatch alarms that fail (and with auto rollback, undo) a refresh
 * @param rolloutTimeout how long a rollout may take; sandbox: the boot timeout of one instance
 * @param keepPublished prune keeps images of the newest this many versions of each parameter
 */
public record ReleaseSettings(
    String parameter,
    String label,
    String launchTemplate,
    boolean setDefault,
    Duration publishTimeout,
    String group,
    int size,
    int minHealthyPercentage,
    int maxHealthyPercentage,
    boolean autoRollback,
    List<String> alarms,
    Duration rolloutTimeout,
    int keepPublished) {

  public ReleaseSettings {
    alarms = List.copyOf(alarms);
  }

  /** The placeholder for the recipe id in {@code <publish><parameter>}. */
  public static final String RECIPE = "{recipe}";

  /**
   * The settings from validated parameter values (the formats are checked by the parameter table;
   * this adds what spans parameters); the default parameter is {@code
   * /kiln/<groupId>/<artifactId>/{recipe}}.
   */
  public static ReleaseSettings of(ParameterValues v, String groupId, String artifactId)
      throws KilnException {
    String parameter = v.string("publish.parameter");
    if (parameter == null) {
      parameter = "/kiln/" + groupId + "/" + artifactId + "/" + RECIPE;
    }
    // The project's coordinates (or a {recipe} in the wrong place) may still make a bad name.
    Names.parameter("publish.parameter", parameter.replace(RECIPE, "debian-12"));
    List<String> alarms = v.strings("rollout.alarms");
    boolean autoRollback = v.bool("rollout.autoRollback");
    if (!alarms.isEmpty() && !autoRollback) {
      throw KilnException.badParameter(
          "rollout.alarms",
          Names.quote(String.join(",", alarms)),
          "no alarms unless <rollout><autoRollback> (-Dkiln.rollout.autoRollback) is true");
    }
    int min = v.integer("rollout.minHealthyPercentage");
    int max = v.integer("rollout.maxHealthyPercentage");
    // AWS refuses a refresh whose range is wider than 100 points; so does the sandbox.
    if (max - min > 100) {
      throw KilnException.badParameter(
          "rollout.maxHealthyPercentage",
          max,
          "at most <rollout><minHealthyPercentage> (-Dkiln.rollout.minHealthyPercentage, here "
              + min
              + ") + 100");
    }
    return new ReleaseSettings(
        parameter,
        v.string("publish.label"),
        v.string("publish.launchTemplate"),
        v.bool("publish.setDefault"),
        Duration.ofSeconds(v.seconds("publish.timeout")),
        v.string("rollout.group"),
        v.integer("rollout.size"),
        min,
        max,
        autoRollback,
        alarms,
        Duration.ofSeconds(v.seconds("rollout.timeout")),
        v.integer("prune.keepPublished"));
  }

  /** The parameter name of one recipe. */
  public String parameterFor(String recipe) {
    return parameter.replace(RECIPE, recipe);
  }
}
