package dev.kiln.probe;

import dev.kiln.check.BundleChecker;
import dev.kiln.check.CheckInput;
import dev.kiln.cloud.Candidate;
import dev.kiln.cloud.Cloud;
import dev.kiln.cloud.Clouds;
import dev.kiln.launch.Launcher;
import dev.kiln.publish.VerifiedMark;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnFailure;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.WaysIn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The engine of {@code kiln:verify}: probes the candidate that {@code kiln:launch} recorded and
 * writes {@code <outputDir>/report/}. Fails, naming every failed control, when any control fails.
 */
public final class Verifier {
  private Verifier() {}

  /** The controls and where the report is. */
  public record Result(List<Control> controls, Path reportDir) {
    public List<Control> failed() {
      return controls.stream().filter(Control::failed).toList();
    }
  }

  /** The probe settings, without a break-glass CA key. */
  public static ProbeSettings settings(KilnSpec spec, Path outputDir, String recipe)
      throws KilnException {
    return settings(spec, outputDir, recipe, null);
  }

  /**
   * The probe settings from the resolved configuration and the candidate's rendered bundle; {@code
   * breakGlassCaKey} is the CA's private key that {@code break-glass-login} issues certificates
   * with ({@code <verify><breakGlassCaKey>}), or null.
   */
  public static ProbeSettings settings(
      KilnSpec spec, Path outputDir, String recipe, Path breakGlassCaKey) throws KilnException {
    CheckInput expected = null;
    String loginUser = null;
    if (recipe != null && spec.sshdByRecipe().containsKey(recipe)) {
      Path bundle = outputDir.resolve(recipe);
      try {
        Map<String, Object> r = BundleChecker.readRecipe(bundle);
        expected =
            new CheckInput(
                bundle,
                r,
                spec.hardening().toTemplateMap(),
                spec.sshdByRecipe().get(recipe),
                spec.access().toMap());
        Object u = r.get("loginUser");
        loginUser = u == null ? null : u.toString();
      } catch (IOException e) {
        throw new KilnException(
            "recipes", "cannot read the bundle of " + recipe + ": " + e.getMessage(), List.of(), e);
      }
    }
    ProbeSettings s =
        new ProbeSettings(
            spec.access().iamGroups(),
            spec.access().sudoGroups(),
            (int) spec.access().keyCacheTtl(),
            spec.hardening().fail2banMaxRetry(),
            expected,
            loginUser);
    WaysIn.BreakGlass bg = spec.waysIn().breakGlass();
    return bg == null
        ? s
        : s.withBreakGlass(
            new ProbeSettings.BreakGlass(
                bg.user(), bg.caFingerprint(), bg.sudo(), breakGlassCaKey));
  }

  /**
   * Probes the recorded candidate (sandbox) and writes the report. Throws when any control failed.
   */
  public static Result verify(Path outputDir, KilnSpec spec, Consumer<String> log)
      throws KilnException {
    return verify(outputDir, spec, null, null, log);
  }

  /**
   * Probes the recorded candidate and writes the report. Outside the sandbox the probes log in as
   * {@code existingUser} with {@code keyFile} ({@code <verify><iamUser>}, {@code
   * <verify><keyFile>}) and make no IAM changes. Throws when any control failed.
   */
  public static Result verify(
      Path outputDir, KilnSpec spec, String existingUser, Path keyFile, Consumer<String> log)
      throws KilnException {
    return verify(outputDir, spec, existingUser, keyFile, null, log);
  }

  /** As above, {@code break-glass-login} issuing certificates with {@code breakGlassCaKey}. */
  public static Result verify(
      Path outputDir,
      KilnSpec spec,
      String existingUser,
      Path keyFile,
      Path breakGlassCaKey,
      Consumer<String> log)
      throws KilnException {
    return verify(outputDir, spec, existingUser, keyFile, breakGlassCaKey, null, log);
  }

  /**
   * As above; {@code lynisMinIndex} ({@code <verify><lynisMinIndex>}) is the lowest Lynis hardening
   * index lynis-ssh accepts, or null.
   */
  public static Result verify(
      Path outputDir,
      KilnSpec spec,
      String existingUser,
      Path keyFile,
      Path breakGlassCaKey,
      Integer lynisMinIndex,
      Consumer<String> log)
      throws KilnException {
    List<Candidate> recs = Launcher.runningAll(outputDir);
    if (recs.isEmpty()) {
      throw new KilnException(
          "no running candidate recorded in "
              + outputDir.resolve(Launcher.RECORD)
              + ": run kiln:launch first (it is bound to pre-integration-test)");
    }
    // One candidate per recipe (a launch of several recipes): each is probed in turn, the report
    // gets a section and a JUnit suite per recipe.
    boolean several = recs.size() > 1;
    List<Report.Section> sections = new ArrayList<>();
    for (Candidate rec : recs) {
      String recipe = rec.recipe();
      if (recipe == null && spec.recipes().size() == 1) {
        recipe = spec.recipes().get(0).id();
      }
      if (several) {
        log.accept("Verifying the candidate of " + recipe);
      }
      List<Control> controls =
          probe(
              outputDir,
              spec,
              rec,
              recipe,
              existingUser,
              keyFile,
              breakGlassCaKey,
              lynisMinIndex,
              log);
      sections.add(
          new Report.Section(
              new Report.Subject(rec.instanceId(), rec.amiId(), rec.cloud(), recipe), controls));
    }
    Path dir = outputDir.resolve("report");
    try {
      Report.write(dir, sections);
    } catch (IOException e) {
      throw new KilnException(
          "outputDir", "cannot write the report in " + dir + ": " + e.getMessage(), List.of(), e);
    }
    List<Control> all = new ArrayList<>();
    List<String> failedNames = new ArrayList<>();
    List<String> details = new ArrayList<>();
    for (Report.Section sec : sections) {
      all.addAll(sec.controls());
      String prefix = several ? sec.subject().recipe() + ": " : "";
      for (Control c : sec.controls()) {
        if (c.failed()) {
          failedNames.add(prefix + c.id());
          details.add(
              prefix + c.id() + ": expected " + c.expected() + "; observed " + c.observed());
        }
      }
    }
    Result r = new Result(all, dir);
    long passed = all.stream().filter(c -> c.outcome() == Control.Outcome.PASS).count();
    log.accept(
        "Hardening report: "
            + passed
            + " passed, "
            + r.failed().size()
            + " failed, "
            + (all.size() - passed - r.failed().size())
            + " skipped"
            + (several ? " over " + sections.size() + " recipes" : "")
            + " → "
            + dir.resolve(Report.HTML));
    // Publish (this build or a later one) and rollback recognise a verified image by this tag:
    // each image whose own suite has no failure gets it.
    for (int i = 0; i < sections.size(); i++) {
      Report.Section sec = sections.get(i);
      if (sec.controls().stream().noneMatch(Control::failed)) {
        VerifiedMark.mark(
            recs.get(i), dir.resolve(Report.junitName(sec.subject().recipe(), several)), log);
      }
    }
    if (!r.failed().isEmpty()) {
      String ids =
          String.join(
              ", ",
              sections.stream()
                  .filter(sec -> sec.controls().stream().anyMatch(Control::failed))
                  .map(sec -> sec.subject().instanceId())
                  .toList());
      throw new KilnFailure(
          "hardening control(s) failed on "
              + ids
              + ": "
              + String.join(", ", failedNames)
              + " (report: "
              + dir.resolve(Report.HTML)
              + ")",
          details);
    }
    return r;
  }

  /** Probes one recorded candidate, through the target its cloud gives. */
  private static List<Control> probe(
      Path outputDir,
      KilnSpec spec,
      Candidate rec,
      String recipe,
      String existingUser,
      Path keyFile,
      Path breakGlassCaKey,
      Integer lynisMinIndex,
      Consumer<String> log)
      throws KilnException {
    ProbeSettings settings =
        settings(spec, outputDir, recipe, breakGlassCaKey).withLynisMinIndex(lynisMinIndex);
    Cloud cloud = Clouds.of(rec);
    try (Target t = cloud.target(rec)) {
      // A target where probes cannot create IAM users (a real instance) logs in as an existing one.
      if (!t.createsIamUsers() && existingUser != null && keyFile != null) {
        try {
          settings = settings.withExistingUser(existingUser, Ssh.loadKey(keyFile));
        } catch (IOException e) {
          throw new KilnException("verify.keyFile", e.getMessage(), List.of(), e);
        }
      }
      log.accept(
          "Verifying candidate "
              + rec.instanceId()
              + " of "
              + rec.amiId()
              + " at "
              + rec.host()
              + ":"
              + rec.portNumber()
              + " ("
              + cloud.name()
              + ")");
      return new Prober(t, settings, log).run();
    }
  }

  /** Whether a report directory exists (for tests). */
  static boolean hasReport(Path outputDir) {
    return Files.isRegularFile(outputDir.resolve("report").resolve(Report.JUNIT));
  }
}
