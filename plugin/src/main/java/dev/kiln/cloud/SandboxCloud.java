package dev.kiln.cloud;

import dev.kiln.aws.AwsClients;
import dev.kiln.aws.AwsSettings;
import dev.kiln.aws.ImageCatalog;
import dev.kiln.aws.ImagePrune;
import dev.kiln.bake.BakeKey;
import dev.kiln.bake.BakeLog;
import dev.kiln.bake.BakeRequest;
import dev.kiln.bake.BakeResult;
import dev.kiln.bake.RecipeBundle;
import dev.kiln.launch.LaunchRequest;
import dev.kiln.launch.Launcher;
import dev.kiln.probe.SandboxTarget;
import dev.kiln.probe.Target;
import dev.kiln.sandbox.CandidateCleanup;
import dev.kiln.sandbox.CandidateSandbox;
import dev.kiln.sandbox.CandidateState;
import dev.kiln.sandbox.Emulator;
import dev.kiln.sandbox.ImageStore;
import dev.kiln.sandbox.Sandbox;
import dev.kiln.sandbox.SourceImage;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The local sandbox cloud: an AWS API emulator, base root filesystems and image layers under the
 * cache directory, candidates in network namespaces (see {@link Sandbox}).
 */
public final class SandboxCloud implements Cloud {
  private final CloudSettings settings;
  private final Path cacheDir;
  private final String region;
  private final Sandbox open;

  SandboxCloud(CloudSettings settings, Path cacheDir, String region, Sandbox open) {
    this.settings = settings;
    this.cacheDir = cacheDir;
    this.region = region;
    this.open = open;
  }

  /**
   * This cloud baking in an already open sandbox session (tests, benchmarks), which the bake does
   * not close.
   */
  public SandboxCloud using(Sandbox sandbox) {
    return new SandboxCloud(settings, sandbox.cacheDir(), sandbox.region(), sandbox);
  }

  @Override
  public String name() {
    return Clouds.SANDBOX;
  }

  @Override
  public CloudSettings settings() {
    return settings;
  }

  @Override
  public String region() {
    return region;
  }

  public Path cacheDir() {
    return cacheDir;
  }

  /** The synthetic source images for these bundles' base-image filters. */
  public static List<SourceImage> sources(List<RecipeBundle> bundles) {
    return bundles.stream()
        .map(b -> SourceImage.forFilter(b.owners(), b.namePattern(), b.architecture()))
        .distinct()
        .toList();
  }

  @Override
  public BakeSession bake(List<RecipeBundle> bundles, BakeLog log) throws KilnException {
    // Only sandbox recipes can be baked: fail before starting anything.
    for (RecipeBundle b : bundles) {
      SandboxBakeSession.requireSandboxRecipe(b);
    }
    if (open != null) {
      return new SandboxBakeSession(open, false, log);
    }
    Sandbox s = Sandbox.open(cacheDir, region, sources(bundles), log::info);
    return new SandboxBakeSession(s, true, log);
  }

  /**
   * The sandbox's reuse fast path: its persisted image index is the emulator's view of the images
   * (restored into the emulator at every start), and its source images are synthetic with fixed
   * ids, so when every recipe's bake key is in the index (in every wanted region) the bake is
   * answered without starting the emulator.
   */
  @Override
  public Optional<List<BakeResult.Image>> reuseWithoutOpening(
      BakeRequest req, List<RecipeBundle> bundles, BakeLog log) throws KilnException {
    if (open != null || req.force()) {
      return Optional.empty();
    }
    var entries = new ImageStore(cacheDir).list();
    List<BakeResult.Image> out = new ArrayList<>();
    for (RecipeBundle b : bundles) {
      if (!b.sandbox()) {
        return Optional.empty();
      }
      long t0 = System.nanoTime();
      String source = SourceImage.forFilter(b.owners(), b.namePattern(), b.architecture()).id();
      String key =
          BakeKey.compute(
              b.bundleDigest(),
              b.id(),
              b.recipeSource(),
              source,
              b.templateText(),
              req.kilnVersion());
      List<String> regions = new ArrayList<>(List.of(region));
      req.regions().stream().filter(r -> !r.equals(region)).forEach(regions::add);
      for (String r : regions) {
        var hit =
            entries.stream()
                .filter(
                    e ->
                        r.equals(e.region()) && key.equals(e.tags().get(ImageCatalog.TAG_BAKE_KEY)))
                .max(Comparator.comparing(ImageStore.Entry::id));
        if (hit.isEmpty()) {
          return Optional.empty();
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        out.add(
            new BakeResult.Image(
                b.id(), r, hit.get().id(), key, source, false, out.isEmpty(), 0, ms));
      }
    }
    for (BakeResult.Image i : out) {
      log.info(
          "Reusing "
              + i.amiId()
              + " (bake key "
              + i.bakeKey()
              + ") for "
              + i.recipe()
              + " in "
              + i.region()
              + " (sandbox image index)");
    }
    return Optional.of(out);
  }

  @Override
  public Candidate launch(
      LaunchRequest req,
      Candidate start,
      Consumer<Candidate> record,
      Launcher.BannerWait banner,
      Consumer<String> log)
      throws KilnException {
    CandidateState s =
        CandidateSandbox.launch(
            cacheDir,
            start.amiId(),
            region,
            "kiln-candidate",
            req.timeout(),
            st -> record.accept(start.withSandbox(cacheDir, st)),
            log);
    int port = s.source("user").port();
    return start.withSandbox(cacheDir, s).at("127.0.0.1", port, Candidate.RUNNING);
  }

  @Override
  public List<String> terminate(Candidate c) {
    return c.sandbox() == null ? List.of() : CandidateCleanup.terminate(c.sandbox());
  }

  @Override
  public Target target(Candidate c) throws KilnException {
    if (c.sandbox() == null) {
      throw new KilnException("the candidate record has no sandbox state: " + c.instanceId());
    }
    return new SandboxTarget(c.sandbox(), cacheDir);
  }

  @Override
  public void tagImage(String amiId, Map<String, String> tags) throws KilnException {
    new ImageStore(cacheDir).tag(amiId, tags);
  }

  @Override
  public List<ImagePrune.Pruned> prune(
      List<String> recipes,
      int keep,
      Map<String, String> kept,
      boolean dryRun,
      Consumer<String> log)
      throws KilnException {
    try (Sandbox s = Sandbox.open(cacheDir, region, List.of(), log);
        SandboxBakeSession sc = new SandboxBakeSession(s, false, BakeLog.of(log))) {
      List<ImagePrune.Pruned> out =
          new ImagePrune(sc.catalog(s.region())).prune(recipes, keep, kept, dryRun, log);
      if (!dryRun) {
        List<String> removed = new ArrayList<>();
        out.forEach(p -> removed.addAll(p.removed()));
        s.images().remove(removed);
      }
      return out;
    }
  }

  /** Images of the candidates recorded under the cache directory whose directory still exists. */
  @Override
  public Map<String, String> imagesInUse() throws KilnException {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    for (CandidateRecords.Entry e : new CandidateRecords(cacheDir).live()) {
      Candidate c = e.candidate();
      boolean there =
          c.sandbox() != null
              && c.sandbox().dir != null
              && java.nio.file.Files.exists(c.sandbox().dir);
      if (c.amiId() != null && name().equals(c.cloud()) && there) {
        out.merge(
            c.amiId(),
            "in use by candidate "
                + c.instanceId()
                + " ("
                + (c.keep() ? "kept" : c.state())
                + ", launched by "
                + c.project()
                + ")",
            (a, b) -> a + "; " + b);
      }
    }
    return out;
  }

  @Override
  public Api api(Consumer<String> log) throws KilnException {
    Sandbox s = Sandbox.open(cacheDir, region, List.of(), log);
    try {
      return new Api(
          new AwsClients(
              new AwsSettings(
                  null,
                  region,
                  s.emulator().hostEndpoint(),
                  Emulator.ACCESS_KEY_ID,
                  Emulator.SECRET_ACCESS_KEY)),
          region,
          s);
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
  }
}
