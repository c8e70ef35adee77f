package dev.kiln.publish;

import dev.kiln.cloud.Clouds;
import dev.kiln.cloud.SandboxCloud;
import dev.kiln.render.Json;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The engine of {@code kiln:publish}, {@code kiln:rollout}, {@code kiln:rollback} and of removing a
 * sandbox group: one entry point each, the same on AWS and in the sandbox.
 */
public final class Releases {
  public static final String PUBLISH_JSON = "publish.json";
  public static final String ROLLOUT_JSON = "rollout.json";
  public static final String ROLLBACK_JSON = "rollback.json";

  private Releases() {}

  /** One image of {@code bake.json}. */
  record Baked(String recipe, String amiId) {}

  /** The primary region's images of {@code bake.json}, for {@code recipes} (empty: all). */
  @SuppressWarnings("unchecked")
  static List<Baked> baked(Path outputDir, List<String> recipes) throws KilnException {
    Path file = outputDir.resolve("bake.json");
    Map<String, Object> bake =
        Json.readMap(file)
            .orElseThrow(
                () ->
                    new KilnException(
                        "ami.id",
                        "nothing to publish: " + file + " does not exist; run kiln:bake first",
                        List.of(),
                        null));
    List<Baked> out = new ArrayList<>();
    for (Object o : (List<Object>) bake.getOrDefault("images", List.of())) {
      Map<String, Object> m = (Map<String, Object>) o;
      String recipe = (String) m.get("recipe");
      if (!Boolean.FALSE.equals(m.get("primary"))
          && (recipes.isEmpty() || recipes.contains(recipe))) {
        out.add(new Baked(recipe, Names.amiId("ami.id", (String) m.get("amiId"))));
      }
    }
    if (out.isEmpty()) {
      throw new KilnException(
          "recipes", file + " has no image of the recipes " + recipes, List.of(), null);
    }
    return out;
  }

  /** {@code kiln:publish}: every baked recipe's verified image; writes publish.json. */
  public static List<Publisher.Published> publish(
      CloudSettings c,
      ReleaseSettings s,
      Path outputDir,
      List<String> recipes,
      Consumer<String> log)
      throws KilnException {
    List<Baked> images = baked(outputDir, recipes);
    if (images.size() > 1 && !s.parameter().contains(ReleaseSettings.RECIPE)) {
      throw KilnException.badParameter(
          "publish.parameter",
          Names.quote(s.parameter()),
          "a name with {recipe} when more than one recipe is published (" + images.size() + ")");
    }
    List<Publisher.Published> out = new ArrayList<>();
    try (ReleaseCloud rc = ReleaseCloud.open(c, log)) {
      Publisher p = new Publisher(rc.ec2, new Parameters(rc.ssm), log);
      try {
        for (Baked b : images) {
          out.add(
              p.publish(
                  new Publisher.Request(
                      b.recipe(),
                      b.amiId(),
                      s.parameterFor(b.recipe()),
                      s.label(),
                      s.launchTemplate(),
                      s.setDefault(),
                      s.publishTimeout(),
                      outputDir.resolve("report"),
                      rc.isSandbox())));
        }
      } finally {
        rc.save();
      }
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("cloud", rc.name);
      doc.put("region", rc.region);
      doc.put("publishedAt", Instant.now().toString());
      doc.put("published", out.stream().map(Publisher.Published::toMap).toList());
      Json.save(outputDir.resolve(PUBLISH_JSON), doc);
    }
    for (Publisher.Published pub : out) {
      Publisher.snippets(pub).forEach(log);
    }
    return out;
  }

  /** The one published entry a group rolls out to. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> publishedEntry(Path outputDir, List<String> recipes)
      throws KilnException {
    Path file = outputDir.resolve(PUBLISH_JSON);
    Map<String, Object> doc =
        Json.readMap(file)
            .orElseThrow(
                () ->
                    new KilnException(
                        "rollout.group",
                        "nothing to roll out: " + file + " does not exist; run kiln:publish first",
                        List.of(),
                        null));
    List<Map<String, Object>> entries = new ArrayList<>();
    for (Object o : (List<Object>) doc.getOrDefault("published", List.of())) {
      Map<String, Object> m = (Map<String, Object>) o;
      if (recipes.isEmpty() || recipes.contains((String) m.get("recipe"))) {
        entries.add(m);
      }
    }
    if (entries.size() != 1) {
      throw new KilnException(
          "recipes",
          "a group runs one recipe's image, and "
              + file
              + " has "
              + entries.size()
              + " for "
              + (recipes.isEmpty() ? "all recipes" : recipes)
              + ": choose one with <recipes> / -Dkiln.recipes",
          List.of(),
          null);
    }
    return entries.get(0);
  }

  /** {@code kiln:rollout}: the group onto the published version; writes rollout.json. */
  public static Map<String, Object> rollout(
      CloudSettings c,
      ReleaseSettings s,
      Path outputDir,
      List<String> recipes,
      Consumer<String> log)
      throws KilnException {
    requireGroup(s);
    Map<String, Object> entry = publishedEntry(outputDir, recipes);
    try (ReleaseCloud rc = ReleaseCloud.open(c, log)) {
      String ltId = (String) entry.get("launchTemplateId");
      Number ltVersion = (Number) entry.get("launchTemplateVersion");
      if (!rc.isSandbox()) {
        return refresh(rc, s, ltId, ltVersion, outputDir, log);
      }
      String image;
      if (entry.get("launchTemplateName") instanceof String name && ltVersion != null) {
        image = SandboxImages.templateImage(rc, name, ltVersion.longValue());
      } else {
        image =
            SandboxImages.resolve(
                rc, "resolve:ssm:" + entry.get("parameter") + ":" + entry.get("label"));
      }
      return sandboxRoll(rc, s, image, outputDir.resolve(ROLLOUT_JSON), log);
    }
  }

  private static void requireGroup(ReleaseSettings s) throws KilnException {
    if (s.group() == null) {
      throw new KilnException(
          "rollout.group",
          "no group to roll out: set <rollout><group> or -Dkiln.rollout.group (an Auto Scaling"
              + " group on AWS; in the sandbox, a group Kiln creates with <rollout><size>"
              + " instances)",
          List.of(),
          null);
    }
  }

  private static Map<String, Object> refresh(
      ReleaseCloud rc,
      ReleaseSettings s,
      String ltId,
      Number ltVersion,
      Path outputDir,
      Consumer<String> log)
      throws KilnException {
    InstanceRefresh.Settings r =
        new InstanceRefresh.Settings(
            s.group(),
            ltId,
            ltVersion == null ? 0 : ltVersion.longValue(),
            s.minHealthyPercentage(),
            s.maxHealthyPercentage(),
            s.autoRollback(),
            s.alarms(),
            s.rolloutTimeout());
    long t0 = System.nanoTime();
    String id = InstanceRefresh.run(rc.autoScaling(), r, Duration.ofSeconds(15), log);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("cloud", rc.name);
    doc.put("group", s.group());
    doc.put("instanceRefreshId", id);
    doc.put("launchTemplateId", ltId);
    doc.put("launchTemplateVersion", ltVersion);
    doc.put("outcome", "Successful");
    doc.put("millis", (System.nanoTime() - t0) / 1_000_000);
    Json.save(outputDir.resolve(ROLLOUT_JSON), doc);
    return doc;
  }

  private static Map<String, Object> sandboxRoll(
      ReleaseCloud rc, ReleaseSettings s, String image, Path out, Consumer<String> log)
      throws KilnException {
    SandboxGroup g = SandboxGroup.load(rc.cacheDir, s.group(), rc.region);
    log.accept(
        "Rolling sandbox group "
            + s.group()
            + " ("
            + s.size()
            + " instances, min healthy "
            + s.minHealthyPercentage()
            + "%, max "
            + s.maxHealthyPercentage()
            + "%) onto "
            + image);
    SandboxRollout.Result r =
        SandboxRollout.roll(
            g,
            image,
            s.size(),
            s.minHealthyPercentage(),
            s.maxHealthyPercentage(),
            Duration.ofSeconds(120),
            log);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("cloud", rc.name);
    doc.putAll(r.toMap());
    doc.put(
        "members",
        g.members().stream()
            .map(m -> Map.of("instanceId", m.instanceId(), "amiId", m.amiId()))
            .toList());
    Json.save(out, doc);
    if (r.failure() != null) {
      throw new KilnFailure(
          "rollout of group "
              + s.group()
              + " to "
              + image
              + " stopped and was undone ("
              + r.millis()
              + " ms): "
              + r.failure(),
          List.of());
    }
    log.accept(
        "Group "
            + s.group()
            + " runs "
            + image
            + " on "
            + g.members().size()
            + " instance(s) ("
            + r.millis()
            + " ms)");
    return doc;
  }

  /** {@code kiln:rollback}: label (and Kiln's template default) back; the group too if named. */
  public static Publisher.RolledBack rollback(
      CloudSettings c,
      ReleaseSettings s,
      Path outputDir,
      List<String> recipes,
      Consumer<String> log)
      throws KilnException {
    String recipe = recipes.size() == 1 ? recipes.get(0) : null;
    if (recipe == null) {
      recipe = (String) publishedEntry(outputDir, recipes).get("recipe");
    }
    String parameter = s.parameterFor(recipe);
    try (ReleaseCloud rc = ReleaseCloud.open(c, log)) {
      Publisher.RolledBack rb;
      try {
        rb =
            new Publisher(rc.ec2, new Parameters(rc.ssm), log)
                .rollback(parameter, s.label(), s.launchTemplate());
      } finally {
        rc.save();
      }
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("cloud", rc.name);
      doc.put("parameter", rb.parameter());
      doc.put("label", rb.label());
      doc.put("fromVersion", rb.fromVersion());
      doc.put("fromAmi", rb.fromAmi());
      doc.put("toVersion", rb.toVersion());
      doc.put("toAmi", rb.toAmi());
      doc.put("launchTemplateId", rb.launchTemplateId());
      doc.put("launchTemplateVersion", rb.launchTemplateVersion());
      doc.put("rolledBackAt", Instant.now().toString());
      Json.save(outputDir.resolve(ROLLBACK_JSON), doc);
      if (s.group() != null) {
        if (rc.isSandbox()) {
          sandboxRoll(rc, s, rb.toAmi(), outputDir.resolve(ROLLOUT_JSON), log);
        } else {
          refresh(rc, s, rb.launchTemplateId(), rb.launchTemplateVersion(), outputDir, log);
        }
      }
      return rb;
    }
  }

  /** {@code kiln:terminate -Dkiln.rollout.group=NAME}: removes a sandbox group. */
  public static List<String> terminateGroup(CloudSettings c, String group, Consumer<String> log)
      throws KilnException {
    Names.group("rollout.group", group);
    if (!(Clouds.choose(c) instanceof SandboxCloud sandbox)) {
      throw new KilnException(
          "rollout.group",
          "kiln:terminate removes sandbox groups only; an Auto Scaling group belongs to its stack",
          List.of(),
          null);
    }
    SandboxGroup g = SandboxGroup.load(sandbox.cacheDir(), group, sandbox.region());
    List<String> removed = g.terminate(log);
    log.accept("Removed sandbox group " + group + " (" + removed.size() + " resources)");
    return removed;
  }
}
