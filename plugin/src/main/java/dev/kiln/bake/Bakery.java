package dev.kiln.bake;

import dev.kiln.aws.ImageCatalog;
import dev.kiln.aws.RunCleanup;
import dev.kiln.cloud.BakeSession;
import dev.kiln.cloud.Cloud;
import dev.kiln.cloud.Clouds;
import dev.kiln.cloud.SandboxCloud;
import dev.kiln.exec.Procs;
import dev.kiln.packer.Artifact;
import dev.kiln.packer.PackerBuild;
import dev.kiln.packer.PackerExecutable;
import dev.kiln.packer.PackerResult;
import dev.kiln.render.Json;
import dev.kiln.sandbox.Sandbox;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.ec2.model.Image;

/**
 * The bake: for each recipe, compute the bake key; reuse the image that carries it, or run Packer,
 * then tag, require IMDSv2, grant launch permissions, copy to further regions; write {@code
 * bake.json}. Everything a bake creates carries {@code kiln:run-id}; after a failure it is deleted.
 *
 * <p>{@code kiln:bake-key} is the last tag an image gets: an image is found by its key only once
 * everything else about it is done.
 */
public final class Bakery {
  public static final String TAG_VERSION = "kiln:version";
  public static final String TAG_PROJECT = "kiln:project";
  public static final String TAG_GIT_COMMIT = "kiln:git-commit";
  public static final String TAG_SOURCE_AMI = "kiln:source-ami";

  private final Sandbox sharedSandbox;

  /** A bakery that opens (and closes) its own sandbox when the cloud is {@code sandbox}. */
  public Bakery() {
    this(null);
  }

  /** A bakery that uses an already open sandbox session (tests, benchmarks, later goals). */
  public Bakery(Sandbox sandbox) {
    this.sharedSandbox = sandbox;
  }

  public BakeResult bake(BakeRequest req, BakeLog log) throws KilnException {
    Cloud cloud = Clouds.choose(req.cloudSettings());
    if (sharedSandbox != null && cloud instanceof SandboxCloud s) {
      cloud = s.using(sharedSandbox);
    }
    if (req.recipes().isEmpty()) {
      throw KilnException.badParameter("recipes", "", "at least one recipe id");
    }
    String runId = req.runId() != null ? req.runId() : newRunId();
    List<RecipeBundle> bundles = new ArrayList<>();
    for (String id : req.recipes()) {
      bundles.add(RecipeBundle.read(req.outputDir(), id));
    }
    List<BakeResult.Image> out = new ArrayList<>();
    Optional<List<BakeResult.Image>> fast = cloud.reuseWithoutOpening(req, bundles, log);
    if (fast.isPresent()) {
      BakeResult result = new BakeResult(runId, fast.get());
      writeBakeJson(req.outputDir().resolve("bake.json"), cloud.name(), result);
      return result;
    }
    try (BakeSession session = cloud.bake(bundles, log)) {
      for (RecipeBundle b : bundles) {
        session.check(b);
      }
      PackerExecutable[] packer = {null};
      for (RecipeBundle b : bundles) {
        out.addAll(bakeOne(session, b, req, runId, packer, log, out.isEmpty()));
      }
    }
    BakeResult result = new BakeResult(runId, out);
    writeBakeJson(req.outputDir().resolve("bake.json"), cloud.name(), result);
    return result;
  }

  private List<BakeResult.Image> bakeOne(
      BakeSession cloud,
      RecipeBundle b,
      BakeRequest req,
      String runId,
      PackerExecutable[] packer,
      BakeLog log,
      boolean first)
      throws KilnException {
    long t0 = System.nanoTime();
    String region = cloud.primaryRegion();
    ImageCatalog catalog = cloud.catalog(region);
    Image source = catalog.resolveSource(b.owners(), b.namePattern(), b.architecture());
    String key =
        BakeKey.compute(
            b.bundleDigest(),
            b.id(),
            b.recipeSource(),
            source.imageId(),
            b.templateText(),
            req.kilnVersion());
    Optional<Image> existing = req.force() ? Optional.empty() : catalog.findByBakeKey(key);
    List<BakeResult.Image> out = new ArrayList<>();
    Map<String, String> tags = tags(b, req, runId, source.imageId());
    if (existing.isPresent()) {
      String ami = existing.get().imageId();
      log.info("Reusing " + ami + " (bake key " + key + ") for " + b.id() + " in " + region);
      out.add(
          new BakeResult.Image(
              b.id(), region, ami, key, source.imageId(), false, first, 0, ms(t0)));
      out.addAll(
          copies(cloud, b, req, ami, key, tags, existing.get().name(), source.imageId(), log));
      return out;
    }
    if (req.force()) {
      log.info("Rebaking " + b.id() + " (kiln.bake.force), bake key " + key);
    } else {
      log.info("No image with bake key " + key + " for " + b.id() + " in " + region + ": baking");
    }
    if (packer[0] == null) {
      packer[0] = PackerExecutable.locate(req.packerExecutable(), System.getenv("PATH"));
      log.info("Using Packer " + packer[0].version() + " (" + packer[0].path() + ")");
    }
    String name = amiName(b.id(), key, runId);
    RunCleanup.Snapshot before = new RunCleanup(catalog).snapshot();
    String ami;
    long packerMs;
    List<String> allRegions = new ArrayList<>(List.of(region));
    allRegions.addAll(req.regions());
    try {
      PackerBuild build =
          new PackerBuild(packer[0], b.template())
              .var("source_ami", source.imageId())
              .var("ami_name", name)
              .var("run_id", runId)
              .var("encrypt_boot", Boolean.toString(req.encryptBoot()))
              .var("tags", hclMap(Map.of(TAG_VERSION, req.kilnVersion())))
              .timeout(req.packerTimeout());
      if (req.instanceType() != null && !req.instanceType().isBlank()) {
        build.var("instance_type", req.instanceType());
      }
      cloud.prepare(b, runId, build);
      req.extraVars().forEach(build::var);
      PackerResult r = build.run(log);
      packerMs = r.duration().toMillis();
      ami =
          r.artifacts().stream()
              .map(Artifact::amis)
              .filter(m -> m.containsKey(region))
              .map(m -> m.get(region))
              .findFirst()
              .orElseThrow(
                  () ->
                      new KilnException(
                          "Packer reported no AMI for " + region + ": " + r.artifacts()));
      log.info("Packer built " + ami + " for " + b.id() + " in " + packerMs + " ms");
      cloud.built(b, ami, source.imageId(), name);
      catalog.tag(ami, tags);
      imdsV2(cloud, catalog, ami, log);
      catalog.grantLaunch(ami, req.launchPermissions());
      out.add(
          new BakeResult.Image(
              b.id(), region, ami, key, source.imageId(), true, first, packerMs, ms(t0)));
      out.addAll(copies(cloud, b, req, ami, key, tags, name, source.imageId(), log));
      // The bake key last: from now on the image is found and reused.
      Map<String, String> done = new LinkedHashMap<>(tags);
      done.put(ImageCatalog.TAG_BAKE_KEY, key);
      catalog.tag(ami, Map.of(ImageCatalog.TAG_BAKE_KEY, key));
      cloud.tagged(ami, done);
      return out;
    } catch (KilnException | RuntimeException e) {
      cloud.failed(b);
      for (String r : allRegions) {
        try {
          List<String> removed =
              new RunCleanup(cloud.catalog(r))
                  .cleanupRun(
                      runId,
                      r.equals(region)
                          ? before
                          : new RunCleanup.Snapshot(java.util.Set.of(), java.util.Set.of()),
                      log::warn);
          if (!removed.isEmpty()) {
            log.warn(
                "Removed what the failed bake left in " + r + ": " + String.join(", ", removed));
          }
        } catch (KilnException | RuntimeException c) {
          log.warn("cleanup in " + r + " failed: " + c.getMessage());
        }
      }
      throw e;
    }
  }

  private List<BakeResult.Image> copies(
      BakeSession cloud,
      RecipeBundle b,
      BakeRequest req,
      String ami,
      String key,
      Map<String, String> tags,
      String name,
      String sourceAmi,
      BakeLog log)
      throws KilnException {
    List<BakeResult.Image> out = new ArrayList<>();
    String primary = cloud.primaryRegion();
    for (String r : req.regions()) {
      if (r.equals(primary)) {
        continue;
      }
      long t0 = System.nanoTime();
      ImageCatalog c = cloud.catalog(r);
      Optional<Image> there = c.findByBakeKey(key);
      if (there.isPresent()) {
        log.info("Reusing " + there.get().imageId() + " in " + r + " (bake key " + key + ")");
        out.add(
            new BakeResult.Image(
                b.id(), r, there.get().imageId(), key, sourceAmi, false, false, 0, ms(t0)));
        continue;
      }
      String copy = c.copyFrom(primary, ami, name, req.encryptBoot(), Duration.ofHours(2));
      log.info("Copied " + ami + " to " + r + " as " + copy);
      cloud.copied(ami, copy, r, name);
      // CopyImage does not copy tags: tag the copy (bake key last).
      c.tag(copy, tags);
      imdsV2(cloud, c, copy, log);
      c.grantLaunch(copy, req.launchPermissions());
      c.tag(copy, Map.of(ImageCatalog.TAG_BAKE_KEY, key));
      Map<String, String> done = new LinkedHashMap<>(tags);
      done.put(ImageCatalog.TAG_BAKE_KEY, key);
      cloud.tagged(copy, done);
      out.add(new BakeResult.Image(b.id(), r, copy, key, sourceAmi, false, false, 0, ms(t0)));
    }
    return out;
  }

  private static void imdsV2(BakeSession cloud, ImageCatalog c, String ami, BakeLog log)
      throws KilnException {
    if (!c.requireImdsV2(ami, cloud.tolerateImdsUnsupported())) {
      log.warn(
          "The EC2 endpoint rejected ImdsSupport=v2.0 on "
              + ami
              + " (the emulator does not implement it); on AWS the image requires IMDSv2");
    }
  }

  Map<String, String> tags(RecipeBundle b, BakeRequest req, String runId, String sourceAmi) {
    Map<String, String> t = new LinkedHashMap<>();
    t.put(ImageCatalog.TAG_RECIPE, b.id());
    t.put(TAG_VERSION, req.kilnVersion());
    t.put(ImageCatalog.TAG_RUN_ID, runId);
    t.put(TAG_SOURCE_AMI, sourceAmi);
    t.put(ImageCatalog.TAG_BAKED_AT, ImageCatalog.bakedAt(java.time.Instant.now()));
    if (req.projectCoordinates() != null) {
      t.put(TAG_PROJECT, req.projectCoordinates());
    }
    gitCommit(req.gitDir()).ifPresent(c -> t.put(TAG_GIT_COMMIT, c));
    return t;
  }

  static Optional<String> gitCommit(Path dir) {
    if (dir == null) {
      return Optional.empty();
    }
    Procs.Captured r =
        Procs.capture(
            List.of("git", "-C", dir.toString(), "rev-parse", "--verify", "-q", "HEAD"), 10);
    String out = r.stdout().strip();
    return r.ok() && out.matches("[0-9a-f]{40}") ? Optional.of(out) : Optional.empty();
  }

  static String newRunId() {
    return "kiln-"
        + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss").format(ZonedDateTime.now(ZoneOffset.UTC))
        + "-"
        + UUID.randomUUID().toString().substring(0, 8);
  }

  static String amiName(String recipe, String key, String runId) {
    String ts =
        DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").format(ZonedDateTime.now(ZoneOffset.UTC));
    return "kiln-"
        + recipe
        + "-"
        + ts
        + "-"
        + key.substring("sha256:".length(), "sha256:".length() + 12);
  }

  /** An HCL map literal for a {@code -var tags=...} value. */
  static String hclMap(Map<String, String> m) {
    StringBuilder sb = new StringBuilder("{");
    m.forEach(
        (k, v) -> {
          if (sb.length() > 1) {
            sb.append(", ");
          }
          sb.append(quote(k)).append(" = ").append(quote(v));
        });
    return sb.append('}').toString();
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("${", "$${") + "\"";
  }

  private static long ms(long t0) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
  }

  /** Writes {@code bake.json} atomically (temp file in the same directory, then rename). */
  static void writeBakeJson(Path file, String cloud, BakeResult result) throws KilnException {
    List<Object> images = new ArrayList<>();
    for (BakeResult.Image i : result.images()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("recipe", i.recipe());
      m.put("region", i.region());
      m.put("amiId", i.amiId());
      m.put("bakeKey", i.bakeKey());
      m.put("sourceAmi", i.sourceAmi());
      m.put("built", i.built());
      m.put("reused", !i.built());
      m.put("primary", i.primary());
      m.put("packerMillis", i.packerMillis());
      m.put("totalMillis", i.totalMillis());
      images.add(m);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("cloud", cloud);
    doc.put("runId", result.runId());
    doc.put("images", images);
    result.primaryAmiId().ifPresent(a -> doc.put("amiId", a));
    try {
      Json.writeFile(file, doc);
    } catch (IOException e) {
      throw new KilnException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
