package dev.kiln.launch;

import dev.kiln.aws.AwsClients;
import dev.kiln.aws.AwsSettings;
import dev.kiln.aws.CandidateEc2;
import dev.kiln.render.Json;
import dev.kiln.sandbox.CandidateSandbox;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import software.amazon.awssdk.services.ec2.Ec2Client;

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

  private static final Set<Path> HOOKED = ConcurrentHashMap.newKeySet();
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
    Map<String, Object> bake = readJson(req.outputDir().resolve("bake.json")).orElse(Map.of());
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
    Map<String, Object> bake = readJson(req.outputDir().resolve("bake.json")).orElse(Map.of());
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
    String cloud = firstNonBlank(req.cloud(), (String) bake.get("cloud"));
    if (cloud == null) {
      cloud =
          AwsSettings.credentialsConfigured(
                  System.getenv(), Path.of(System.getProperty("user.home")))
              ? "aws"
              : "sandbox";
    }
    if (!cloud.equals("aws") && !cloud.equals("sandbox")) {
      throw KilnException.badParameter("cloud", cloud, "aws or sandbox");
    }
    Optional<Map<String, Object>> existing = readJson(record);
    if (existing.isPresent() && !"terminated".equals(existing.get().get("state"))) {
      log.accept(
          "A candidate from an earlier launch is still recorded in "
              + record
              + ": terminating it first");
      terminate(req.outputDir(), log);
    }
    String runId =
        req.runId() != null ? req.runId() : "kiln-" + UUID.randomUUID().toString().substring(0, 8);
    String recipe = recipeOf(bake, ami);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("cloud", cloud);
    doc.put("amiId", ami);
    doc.put("recipe", recipe);
    doc.put("runId", runId);
    doc.put("state", "launching");
    doc.put("keep", req.keep());
    doc.put("launchedAt", Instant.now().toString());
    log.accept(
        "Launching a candidate of "
            + ami
            + " in the "
            + cloud
            + (recipe == null ? "" : " (" + recipe + ")"));
    if (!req.keep()) {
      hook(req.outputDir(), log);
    }
    Launched l;
    if (cloud.equals("sandbox")) {
      l = launchSandbox(req, ami, doc, record, log, t0);
    } else {
      l = launchAws(req, ami, runId, doc, record, log, t0);
    }
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

  private Launched launchSandbox(
      LaunchRequest req,
      String ami,
      Map<String, Object> doc,
      Path record,
      Consumer<String> log,
      long t0)
      throws KilnException {
    Path cache =
        req.sandboxCacheDir() != null ? req.sandboxCacheDir() : SandboxSettings.defaultCacheDir();
    doc.put("sandboxCacheDir", cache.toAbsolutePath().toString());
    String region = "us-east-1";
    CandidateSandbox.State s =
        CandidateSandbox.launch(
            cache,
            ami,
            region,
            "kiln-candidate",
            req.timeout(),
            st -> {
              doc.put("instanceId", st.instanceId);
              doc.put("sandbox", CandidateSandbox.toMap(st));
              writeQuietly(record, doc);
            },
            log);
    int port = CandidateSandbox.source(s, "user").port();
    doc.put("instanceId", s.instanceId);
    doc.put("host", "127.0.0.1");
    doc.put("port", port);
    doc.put("state", "running");
    doc.put("sandbox", CandidateSandbox.toMap(s));
    write(record, doc);
    return new Launched(
        "sandbox",
        s.instanceId,
        ami,
        "127.0.0.1",
        port,
        record,
        (System.nanoTime() - t0) / 1_000_000,
        (String) doc.get("recipe"));
  }

  private Launched launchAws(
      LaunchRequest req,
      String ami,
      String runId,
      Map<String, Object> doc,
      Path record,
      Consumer<String> log,
      long t0)
      throws KilnException {
    CandidateEc2.checkCidrs(req.trustedCidrs(), req.allowWorld());
    AwsSettings settings =
        new AwsSettings(req.awsProfile(), req.awsRegion(), req.awsEndpoint(), null, null);
    try (AwsClients clients = new AwsClients(settings);
        Ec2Client ec2 = clients.ec2(clients.region())) {
      Map<String, Object> aws = new LinkedHashMap<>();
      aws.put("region", clients.region());
      if (req.awsProfile() != null) {
        aws.put("profile", req.awsProfile());
      }
      if (req.awsEndpoint() != null) {
        aws.put("endpoint", req.awsEndpoint().toString());
      }
      doc.put("aws", aws);
      CandidateEc2.Created c;
      try {
        c =
            CandidateEc2.launch(
                ec2,
                ami,
                req.trustedCidrs(),
                req.port(),
                req.instanceType(),
                req.subnetId(),
                req.instanceProfile(),
                runId,
                req.timeout(),
                sg -> {
                  aws.put("securityGroupId", sg);
                  writeQuietly(record, doc);
                },
                log);
      } catch (KilnException e) {
        terminateRecord(record, log);
        throw e;
      }
      aws.put("instanceId", c.instanceId());
      doc.put("instanceId", c.instanceId());
      doc.put("host", c.host());
      doc.put("port", req.port());
      write(record, doc);
      try {
        bannerWait.await(c.host(), req.port(), req.timeout(), log);
      } catch (KilnException e) {
        terminateRecord(record, log);
        throw e;
      }
      doc.put("state", "running");
      write(record, doc);
      return new Launched(
          "aws",
          c.instanceId(),
          ami,
          c.host(),
          req.port(),
          record,
          (System.nanoTime() - t0) / 1_000_000,
          (String) doc.get("recipe"));
    }
  }

  /**
   * Removes every candidate recorded ({@link #RECORD} and {@code instances/*.json}); returns what
   * was removed. Idempotent.
   */
  public static List<String> terminate(Path outputDir, Consumer<String> log) throws KilnException {
    List<Path> records = records(outputDir);
    List<String> removed = new ArrayList<>();
    boolean any = false;
    for (Path record : records) {
      Optional<Map<String, Object>> doc = readJson(record);
      if (doc.isPresent() && !"terminated".equals(doc.get().get("state"))) {
        any = true;
        removed.addAll(terminate(record, doc.get(), log));
      }
    }
    if (!any) {
      Path record = outputDir.resolve(RECORD);
      log.accept(
          "No candidate to terminate ("
              + record
              + (Files.isRegularFile(record) ? " says terminated)" : " does not exist)"));
    }
    HOOKED.remove(outputDir.toAbsolutePath().normalize());
    return removed;
  }

  /** Removes the candidate one record names (a launch that failed half-way). */
  private static void terminateRecord(Path record, Consumer<String> log) throws KilnException {
    Optional<Map<String, Object>> doc = readJson(record);
    if (doc.isPresent() && !"terminated".equals(doc.get().get("state"))) {
      terminate(record, doc.get(), log);
    }
  }

  /** The candidate records under {@code outputDir}: {@link #RECORD}, then {@code instances/}. */
  public static List<Path> records(Path outputDir) throws KilnException {
    List<Path> out = new ArrayList<>();
    if (Files.isRegularFile(outputDir.resolve(RECORD))) {
      out.add(outputDir.resolve(RECORD));
    }
    Path dir = outputDir.resolve(RECORDS_DIR);
    if (Files.isDirectory(dir)) {
      try (var files = Files.list(dir)) {
        files
            .filter(f -> String.valueOf(f.getFileName()).endsWith(".json"))
            .sorted()
            .forEach(out::add);
      } catch (IOException e) {
        throw new KilnException("cannot list " + dir + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static List<String> terminate(Path record, Map<String, Object> doc, Consumer<String> log)
      throws KilnException {
    Map<String, Object> d = new LinkedHashMap<>(doc);
    List<String> removed = new ArrayList<>();
    if ("sandbox".equals(d.get("cloud")) && d.get("sandbox") instanceof Map<?, ?> m) {
      @SuppressWarnings("unchecked")
      CandidateSandbox.State s = CandidateSandbox.fromMap((Map<String, Object>) m);
      removed.addAll(CandidateSandbox.terminate(s));
    } else if ("aws".equals(d.get("cloud")) && d.get("aws") instanceof Map<?, ?> m) {
      String endpoint = (String) m.get("endpoint");
      AwsSettings settings =
          new AwsSettings(
              (String) m.get("profile"),
              (String) m.get("region"),
              endpoint == null ? null : java.net.URI.create(endpoint),
              null,
              null);
      try (AwsClients clients = new AwsClients(settings);
          Ec2Client ec2 = clients.ec2(clients.region())) {
        removed.addAll(
            CandidateEc2.terminate(
                ec2,
                (String) m.get("instanceId"),
                (String) m.get("securityGroupId"),
                Duration.ofMinutes(10)));
      }
    }
    d.put("state", "terminated");
    d.put("terminatedAt", Instant.now().toString());
    d.put("removed", removed);
    write(record, d);
    try {
      String name = String.valueOf(record.getFileName());
      Files.deleteIfExists(
          record.resolveSibling(
              name.equals(RECORD)
                  ? PROPERTIES
                  : name.substring(0, name.length() - ".json".length()) + ".properties"));
    } catch (IOException e) {
      // stale properties only
    }
    if (removed.isEmpty()) {
      log.accept("Candidate " + d.get("instanceId") + " was already gone");
    } else {
      log.accept("Terminated candidate " + d.get("instanceId") + "; removed:");
      removed.forEach(r -> log.accept("  - " + r));
    }
    return removed;
  }

  /** The record of the (first) running candidate, if one is running. */
  public static Optional<Map<String, Object>> running(Path outputDir) throws KilnException {
    List<Map<String, Object>> all = runningAll(outputDir);
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
  }

  /** The records of every running candidate, one per recipe of a several-recipe launch. */
  public static List<Map<String, Object>> runningAll(Path outputDir) throws KilnException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Path r : records(outputDir)) {
      readJson(r).filter(d -> "running".equals(d.get("state"))).ifPresent(out::add);
    }
    return out;
  }

  /** Terminates at JVM exit unless {@link #terminate} ran first (failed build, Ctrl-C). */
  private static void hook(Path outputDir, Consumer<String> log) {
    Path key = outputDir.toAbsolutePath().normalize();
    if (!HOOKED.add(key)) {
      return;
    }
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
    long t0 = System.nanoTime();
    long next = t0 + Duration.ofSeconds(10).toNanos();
    String last = "";
    while (System.nanoTime() - t0 < timeout.toNanos()) {
      try (Socket c = new Socket()) {
        c.connect(new InetSocketAddress(host, port), 3000);
        c.setSoTimeout(5000);
        byte[] b = new byte[64];
        int n = c.getInputStream().read(b);
        String s = n > 0 ? new String(b, 0, n, StandardCharsets.US_ASCII) : "";
        if (s.startsWith("SSH-")) {
          return;
        }
        last = s;
      } catch (IOException e) {
        last = e.getMessage();
      }
      if (System.nanoTime() > next) {
        log.accept(
            "  waiting for the SSH banner of "
                + host
                + ":"
                + port
                + " ("
                + (System.nanoTime() - t0) / 1_000_000_000
                + " s of "
                + timeout.toSeconds()
                + " s)");
        next += Duration.ofSeconds(10).toNanos();
      }
      try {
        Thread.sleep(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new KilnException("interrupted while waiting for the candidate", e);
      }
    }
    throw new KilnException(
        "launch.timeout",
        "no SSH banner from "
            + host
            + ":"
            + port
            + " within "
            + timeout.toSeconds()
            + " s (last: "
            + last
            + ")",
        List.of(),
        null);
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

  /** Reads a JSON file as a map (SnakeYAML reads JSON), or empty when absent. */
  @SuppressWarnings("unchecked")
  public static Optional<Map<String, Object>> readJson(Path file) throws KilnException {
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      Object o = new Yaml(new LoaderOptions()).load(Files.readString(file));
      return o instanceof Map<?, ?> m ? Optional.of((Map<String, Object>) m) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      throw new KilnException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Writes {@code doc} as JSON to {@code file} atomically (temp file + rename). */
  public static void write(Path file, Map<String, Object> doc) throws KilnException {
    writeText(file, Json.write(doc));
  }

  private static void writeQuietly(Path file, Map<String, Object> doc) {
    try {
      write(file, doc);
    } catch (KilnException e) {
      System.err.println("[kiln] cannot record the candidate: " + e.getMessage());
    }
  }

  private static void writeText(Path file, String text) throws KilnException {
    Path dir = file.toAbsolutePath().getParent();
    if (dir == null) {
      throw new KilnException(
          "outputDir", "cannot write " + file + ": it has no parent directory", List.of(), null);
    }
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
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
