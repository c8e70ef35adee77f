package dev.kiln.launch;

import dev.kiln.cloud.Candidate;
import dev.kiln.cloud.CandidateRecords;
import dev.kiln.cloud.Cloud;
import dev.kiln.cloud.Clouds;
import dev.kiln.render.AtomicFile;
import dev.kiln.render.Json;
import dev.kiln.sandbox.Ledger;
import dev.kiln.sandbox.SshBanner;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Boots a candidate from a baked image and removes it again: the engine of {@code kiln:launch} and
 * {@code kiln:terminate}.
 *
 * <p>Launch records what it creates in {@code target/kiln/instance.json} as it goes (so a failure
 * half-way, a later goal or a later Maven run can remove it), writes {@code instance.properties}
 * and, unless kept, registers a JVM shutdown hook that terminates the candidate when the build ends
 * without {@code kiln:terminate} (failed verify, Ctrl-C). Terminate is idempotent.
 */
public final class Launcher {
  public static final String RECORD = "instance.json";
  public static final String PROPERTIES = "instance.properties";

  /**
   * Where a launch of several recipes records each candidate: {@code instances/<recipe>.json} and
   * {@code instances/<recipe>.properties} ({@link #RECORD} holds a single candidate).
   */
  public static final String RECORDS_DIR = "instances";

  /**
   * Waits for the SSH banner of an AWS candidate (replaced in tests: never dial fake addresses).
   */
  public interface BannerWait {
    void await(String host, int port, Duration timeout, Consumer<String> log) throws KilnException;
  }

  static final Set<Path> HOOKED = ConcurrentHashMap.newKeySet();
  private final BannerWait bannerWait;

  public Launcher() {
    this(Launcher::awaitBanner);
  }

  public Launcher(BannerWait bannerWait) {
    this.bannerWait = bannerWait;
  }

  /**
   * Launches a candidate of each recipe that {@code bake.json} lists (its image in the primary
   * region), in bake order: one build, several recipes. With an explicit {@code req.amiId()}, or
   * when the bake made one recipe, this is {@link #launch}: one candidate in {@link #RECORD}.
   * {@code amiProperty} ({@code kiln.ami.id} set by another plugin) is the image when there is no
   * {@code bake.json}. A candidate that fails to start is removed; those already running stay
   * recorded (terminate, or the shutdown hook, removes them).
   */
  public List<Launched> launchAll(LaunchRequest req, String amiProperty, Consumer<String> log)
      throws KilnException {
    if (req.amiId() != null && !req.amiId().isBlank()) {
      return List.of(launch(req, log));
    }
    Map<String, Object> bake = Json.readMap(req.outputDir().resolve("bake.json")).orElse(Map.of());
    Map<String, String> images = imagesByRecipe(bake);
    if (images.size() <= 1) {
      LaunchRequest one =
          bake.isEmpty() && amiProperty != null && !amiProperty.isBlank()
              ? req.withAmiId(amiProperty)
              : req;
      return List.of(launch(one, log));
    }
    terminate(req.outputDir(), log);
    log.accept("Launching a candidate of each recipe: " + String.join(", ", images.keySet()));
    Path dir = req.outputDir().resolve(RECORDS_DIR);
    List<Launched> all = new ArrayList<>();
    for (Map.Entry<String, String> e : images.entrySet()) {
      all.add(
          launch(
              req.withAmiId(e.getValue()),
              dir.resolve(e.getKey() + ".json"),
              dir.resolve(e.getKey() + ".properties"),
              log));
    }
    return all;
  }

  /**
   * Recipe → AMI of the images {@code bake.json} lists in the primary region (that of the image
   * marked primary), in bake order.
   */
  static Map<String, String> imagesByRecipe(Map<String, Object> bake) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!(bake.get("images") instanceof List<?> l)) {
      return out;
    }
    Object region = null;
    for (Object o : l) {
      if (o instanceof Map<?, ?> m && Boolean.TRUE.equals(m.get("primary"))) {
        region = m.get("region");
      }
    }
    for (Object o : l) {
      if (o instanceof Map<?, ?> m
          && m.get("recipe") instanceof String recipe
          && m.get("amiId") instanceof String ami
          && (region == null || region.equals(m.get("region")))) {
        out.putIfAbsent(recipe, ami);
      }
    }
    return out;
  }

  /** Launches a candidate, recorded in {@link #RECORD}. */
  public Launched launch(LaunchRequest req, Consumer<String> log) throws KilnException {
    return launch(req, req.outputDir().resolve(RECORD), req.outputDir().resolve(PROPERTIES), log);
  }

  private Launched launch(LaunchRequest req, Path record, Path properties, Consumer<String> log)
      throws KilnException {
    long t0 = System.nanoTime();
    Map<String, Object> bake = Json.readMap(req.outputDir().resolve("bake.json")).orElse(Map.of());
    String ami = firstNonBlank(req.amiId(), (String) bake.get("amiId"));
    if (ami == null) {
      throw new KilnException(
          "ami.id",
          "no image to launch: set <amiId> or -Dkiln.ami.id, or run kiln:bake first (it writes "
              + req.outputDir().resolve("bake.json")
              + ")",
          List.of(),
          null);
    }
    Cloud cloud = Clouds.choose(req.cloudSettings().orCloud((String) bake.get("cloud")));
    Optional<Candidate> existing = Candidate.read(record);
    if (existing.isPresent() && !existing.get().isTerminated()) {
      log.accept(
          "A candidate from an earlier launch is still recorded in "
              + record
              + ": terminating it first");
      terminate(req.outputDir(), log);
    }
    String runId =
        req.runId() != null ? req.runId() : "kiln-" + UUID.randomUUID().toString().substring(0, 8);
    String recipe = recipeOf(bake, ami);
    Candidate start =
        Candidate.launching(cloud.name(), ami, recipe, runId, req.keep(), req.outputDir())
            .recordedIn(record, CandidateRecords.of(req.cloudSettings()).copyOf(record));
    log.accept(
        "Launching a candidate of "
            + ami
            + " in the "
            + cloud.name()
            + (recipe == null ? "" : " (" + recipe + ")"));
    if (!req.keep()) {
      hook(req.outputDir(), log);
    }
    Candidate c;
    try {
      c = cloud.launch(req, start, x -> writeQuietly(record, x), bannerWait, log);
    } catch (KilnException | RuntimeException e) {
      Termination.terminateRecord(record, log);
      throw e;
    }
    CandidateRecords.save(record, c);
    Launched l =
        new Launched(
            cloud.name(),
            c.instanceId(),
            ami,
            c.host(),
            c.portNumber(),
            record,
            (System.nanoTime() - t0) / 1_000_000,
            recipe);
    writeProperties(properties, l);
    log.accept(
        "Candidate "
            + l.instanceId()
            + " answers on "
            + l.host()
            + ":"
            + l.port()
            + " ("
            + l.millis()
            + " ms); recorded in "
            + record);
    if (req.keep()) {
      log.accept(keepHint(l, req.outputDir()));
    }
    return l;
  }

  static String keepHint(Launched l, Path outputDir) {
    return "kiln.keep: the candidate stays up after the build. Reach it with: ssh -p "
        + l.port()
        + " <iam-user>@"
        + l.host()
        + " ; remove it with: mvn kiln:terminate (reads "
        + outputDir.resolve(RECORD)
        + ")";
  }

  /**
   * Removes every candidate recorded ({@link #RECORD} and {@code instances/*.json}), and those of
   * this project that only the cache directory still records; returns what was removed. Idempotent.
   */
  public static List<String> terminate(Path outputDir, Consumer<String> log) throws KilnException {
    return Termination.terminate(outputDir, null, log);
  }

  /** The (first) running candidate, if one is running. */
  public static Optional<Candidate> running(Path outputDir) throws KilnException {
    List<Candidate> all = runningAll(outputDir);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }

  /** Every running candidate, one per recipe of a several-recipe launch. */
  public static List<Candidate> runningAll(Path outputDir) throws KilnException {
    List<Candidate> out = new ArrayList<>();
    for (Path r : Termination.records(outputDir)) {
      Candidate.read(r).filter(Candidate::isRunning).ifPresent(out::add);
    }
    return out;
  }

  /** Terminates at JVM exit unless {@link #terminate} ran first (failed build, Ctrl-C). */
  private static void hook(Path outputDir, Consumer<String> log) {
    Path key = outputDir.toAbsolutePath().normalize();
    if (!HOOKED.add(key)) {
      return;
    }
    // At JVM exit Maven has closed this plugin's class loader: load now what the hook runs then.
    Ledger.warmUp();
    Termination.warmUp();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (HOOKED.contains(key)) {
                    try {
                      terminate(key, line -> System.err.println("[kiln shutdown] " + line));
                    } catch (KilnException | RuntimeException e) {
                      System.err.println(
                          "[kiln shutdown] could not terminate the candidate: " + e.getMessage());
                    }
                  }
                },
                "kiln-terminate-candidate"));
  }

  /** Waits until host:port sends an SSH banner (AWS candidates: the instance's address). */
  static void awaitBanner(String host, int port, Duration timeout, Consumer<String> log)
      throws KilnException {
    SshBanner.await(
        host, port, host + ":" + port, timeout, Duration.ofSeconds(2), Duration.ofSeconds(10), log);
  }

  @SuppressWarnings("unchecked")
  static String recipeOf(Map<String, Object> bake, String ami) {
    if (bake.get("images") instanceof List<?> l) {
      for (Object o : l) {
        if (o instanceof Map<?, ?> m && ami.equals(m.get("amiId"))) {
          return (String) m.get("recipe");
        }
      }
    }
    return null;
  }

  private static void writeProperties(Path file, Launched l) throws KilnException {
    String text =
        "# Written by kiln:launch\nkiln.instance.id="
            + l.instanceId()
            + "\nkiln.instance.host="
            + l.host()
            + "\nkiln.instance.port="
            + l.port()
            + "\nkiln.ami.id="
            + l.amiId()
            + "\nkiln.cloud="
            + l.cloud()
            + "\n";
    writeText(file, text);
  }

  private static void writeQuietly(Path file, Candidate c) {
    try {
      CandidateRecords.save(file, c);
    } catch (KilnException e) {
      System.err.println("[kiln] cannot record the candidate: " + e.getMessage());
    }
  }

  private static void writeText(Path file, String text) throws KilnException {
    try {
      AtomicFile.write(file, text);
    } catch (IOException e) {
      throw new KilnException(
          "outputDir", "cannot write " + file + ": " + e.getMessage(), List.of(), e);
    }
  }

  private static String firstNonBlank(String a, String b) {
    if (a != null && !a.isBlank()) {
      return a.trim();
    }
    return b == null || b.isBlank() ? null : b.trim();
  }
}
