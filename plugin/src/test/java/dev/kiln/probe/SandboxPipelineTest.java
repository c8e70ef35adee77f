package dev.kiln.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.bake.BakeLog;
import dev.kiln.bake.BakeRequest;
import dev.kiln.bake.BakeResult;
import dev.kiln.bake.Bakery;
import dev.kiln.cloud.Candidate;
import dev.kiln.exec.Procs;
import dev.kiln.launch.LaunchRequest;
import dev.kiln.launch.Launched;
import dev.kiln.launch.Launcher;
import dev.kiln.launch.Termination;
import dev.kiln.render.Renderer;
import dev.kiln.sandbox.CandidateBridges;
import dev.kiln.sandbox.CandidateCleanup;
import dev.kiln.sandbox.CandidateSandbox;
import dev.kiln.sandbox.CandidateState;
import dev.kiln.sandbox.Netns;
import dev.kiln.sandbox.SandboxSettings;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/**
 * The whole pipeline in the sandbox cloud, as root: render debian-12 and debian-13 ({@link
 * Renderer}), bake them ({@link Bakery}: Packer against the emulator, builder instance on the
 * debootstrap base), launch a candidate ({@link Launcher}), verify it ({@link Verifier}: every
 * control passes, report written), terminate it (nothing left: namespaces, mounts, processes,
 * directory). Then an image baked wrong on purpose (a template override with {@code PermitRootLogin
 * yes}) must fail verify, naming the control.
 *
 * <p>Images are cached by bake key in the user's sandbox cache, so a second run reuses them.
 */
public class SandboxPipelineTest {
  @TempDir Path tmp;

  public static void assumeSandbox() {
    assumeTrue(Procs.isRoot(), "the sandbox needs root");
    assumeTrue(
        Procs.which(
                "moto_server", List.of(Path.of(System.getProperty("user.home"), ".pyenv", "shims")))
            != null,
        "moto_server not installed");
    assumeTrue(Procs.which("packer", List.of()) != null, "packer not installed");
  }

  /**
   * The break-glass CA the sandbox tests use (private key; its {@code .pub} beside it), made once
   * with ssh-keygen under the sandbox cache, so that the images baked with it are reused.
   */
  static Path breakGlassCa() throws Exception {
    Path dir = SandboxSettings.defaultCacheDir().resolve("test-break-glass-ca");
    Path key = dir.resolve("ca");
    if (Files.isRegularFile(dir.resolve("ca.pub"))) {
      return key;
    }
    Files.createDirectories(dir.getParent());
    Path tmpDir = Files.createTempDirectory(dir.getParent(), ".tmp-ca-");
    Procs.check(
        List.of(
            "ssh-keygen",
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "kiln-test-ca",
            "-f",
            tmpDir.resolve("ca").toString()),
        java.time.Duration.ofSeconds(30));
    try {
      Files.move(tmpDir, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (java.io.IOException e) {
      // another test run made it first: use theirs
      dev.kiln.sandbox.Files2.deleteTree(tmpDir);
    }
    return key;
  }

  /**
   * The test project's configuration: two IAM groups, one with sudo, a 5 s key cache, a break-glass
   * account.
   */
  public static Map<String, String> config(Path out, Path templatesDir) throws Exception {
    Map<String, String> raw = new LinkedHashMap<>();
    raw.put("access.breakGlass.caPublicKey", breakGlassCa() + ".pub");
    raw.put("recipes", "debian-12");
    raw.put("outputDir", out.toString());
    raw.put("access.iamGroups", "ssh-users,ssh-admins");
    raw.put("access.sudoGroups", "ssh-admins");
    raw.put("access.keyCacheTtl", "5s");
    raw.put("hardening.trustedCidrs", "10.0.0.0/8");
    if (templatesDir != null) {
      raw.put("templatesDir", templatesDir.toString());
    }
    return raw;
  }

  static final BakeLog LOG = BakeLog.of(l -> System.out.println("[bake] " + l));

  public static String bake(KilnSpec spec) throws Exception {
    new Renderer(spec.templatesDir()).renderAll(spec, "0.1.0-test");
    BakeResult r =
        new Bakery()
            .bake(
                BakeRequest.of(spec.outputDir(), List.of("debian-12"), "sandbox", "0.1.0-test")
                    .withSandboxCacheDir(SandboxSettings.defaultCacheDir()),
                LOG);
    return r.primaryAmiId().orElseThrow();
  }

  /** The controls of a sandbox verify, in report order (pinned by ControlRegistryTest). */
  static final List<String> CONTROL_IDS = ControlRegistry.ids();

  /**
   * One build, two recipes: debian-12 (OpenSSH 9.2) and debian-13 (OpenSSH 10.0, fail2ban 1.1, nft
   * 1.1) are baked, a candidate of each is launched, both are verified into one report (a section
   * and a JUnit suite each) and terminated. Before debian-13's fixes its fail2ban-ban failed (the
   * host's nft could not read the candidate's ruleset) and so did break-glass-login (sshd's own
   * per-source penalties refused verify's sources).
   */
  @Test
  void twoRecipesPassEveryControlAndTerminateLeavesNothing() throws Exception {
    assumeSandbox();
    Path out = tmp.resolve("target/kiln");
    Map<String, String> raw = config(out, null);
    raw.put("recipes", "debian-12,debian-13");
    KilnSpec spec = KilnSpec.parse(raw, tmp);
    Map<String, String> amis = bakeAll(spec);
    assertThat(amis.keySet()).containsExactly("debian-12", "debian-13");

    List<Launched> launched =
        new Launcher()
            .launchAll(
                LaunchRequest.sandbox(out, null, SandboxSettings.defaultCacheDir()),
                null,
                System.out::println);
    assertThat(launched).extracting(Launched::recipe).containsExactly("debian-12", "debian-13");
    List<CandidateState> states = new java.util.ArrayList<>();
    for (Path rec : Termination.records(out)) {
      states.add(stateOf(rec));
    }
    assertThat(states).hasSize(2);
    try {
      for (Launched l : launched) {
        assertThat(l.amiId()).isEqualTo(amis.get(l.recipe()));
        assertThat(l.host()).isEqualTo("127.0.0.1");
        Properties p = new Properties();
        try (InputStream in =
            Files.newInputStream(
                out.resolve(Launcher.RECORDS_DIR).resolve(l.recipe() + ".properties"))) {
          p.load(in);
        }
        assertThat(p.getProperty("kiln.instance.id")).isEqualTo(l.instanceId()).startsWith("i-");
        assertThat(p.getProperty("kiln.instance.port")).isEqualTo(Integer.toString(l.port()));
        String openssh =
            spec.recipes().stream()
                .filter(r -> r.id().equals(l.recipe()))
                .findFirst()
                .orElseThrow()
                .opensshVersion();
        assertThat(CandidateBridges.banner(l.port())).startsWith("SSH-2.0-OpenSSH_" + openssh);
      }
      for (CandidateState state : states) {
        // the sandbox-only jail override is in the instance's upper layer, not in the image layer
        assertThat(state.dir.resolve("vm/upper/etc/fail2ban/jail.d/zz-kiln-sandbox.local"))
            .exists();
        assertThat(
                SandboxSettings.defaultCacheDir()
                    .resolve("images")
                    .resolve(state.amiId)
                    .resolve("layer/etc/fail2ban/jail.d/zz-kiln-sandbox.local"))
            .doesNotExist();
        scannersReadingFilesSeeTheHardenedValues(state);
      }

      Verifier.Result r =
          Verifier.verify(out, spec, null, null, breakGlassCa(), System.out::println);
      List<String> twice = new java.util.ArrayList<>(CONTROL_IDS);
      twice.addAll(CONTROL_IDS);
      assertThat(r.controls()).extracting(Control::id).containsExactlyElementsOf(twice);
      assertThat(r.controls())
          .allSatisfy(
              c ->
                  assertThat(c.outcome())
                      .as(c.id() + ": " + c.observed())
                      .isEqualTo(Control.Outcome.PASS));

      for (String recipe : amis.keySet()) {
        // The hostile files every sandbox builder gets (HostileFiles) are in the image: the
        // userdb drop-in neutralised, Instance Connect's -o drop-in on the live daemon, which
        // Kiln's Match all block overrides (sshd-live-view passed with those options).
        Path layer =
            SandboxSettings.defaultCacheDir()
                .resolve("images")
                .resolve(amis.get(recipe))
                .resolve("layer");
        assertThat(Files.readString(layer.resolve("etc/ssh/sshd_config.d/20-systemd-userdb.conf")))
            .as(recipe)
            .contains("# kiln: aligned with 00-kiln-hardening.conf")
            .contains("AuthorizedKeysCommand /usr/libexec/kiln/authorized-keys %u %f")
            .doesNotContain("userdbctl ssh-authorized-keys %u\n");
        assertThat(layer.resolve("usr/lib/systemd/system/ssh.service.d/ec2-instance-connect.conf"))
            .exists();
        Document junit =
            DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(r.reportDir().resolve(Report.junitName(recipe, true)).toFile());
        assertThat(junit.getDocumentElement().getAttribute("name"))
            .isEqualTo("kiln-hardening." + recipe);
        assertThat(junit.getElementsByTagName("testcase").getLength())
            .isEqualTo(CONTROL_IDS.size());
        assertThat(junit.getElementsByTagName("failure").getLength()).isZero();
      }
      assertThat(
              r.controls().stream()
                  .filter(c -> c.id().equals("sshd-live-view"))
                  .map(Control::evidence))
          .allMatch(
              e ->
                  e.contains(
                      "running daemon: /usr/sbin/sshd -D -o \"AuthorizedKeysCommand /usr/share/"
                          + "ec2-instance-connect/eic_run_authorized_keys %u %f\""));
      assertThat(r.reportDir().resolve(Report.JUNIT)).doesNotExist();
      String html = Files.readString(r.reportDir().resolve(Report.HTML), StandardCharsets.UTF_8);
      assertThat(html)
          .contains("<section id=\"recipe-debian-12\">", "<section id=\"recipe-debian-13\">")
          .contains("debian-13-fail2ban-ban")
          .doesNotContain("<script", "<link", "src=", "url(", "@import");
    } finally {
      List<String> removed = Launcher.terminate(out, System.out::println);
      for (CandidateState state : states) {
        assertThat(removed).anyMatch(x -> x.startsWith("namespace kilnc-" + state.shortId + "-vm"));
      }
    }
    for (CandidateState state : states) {
      assertThat(CandidateCleanup.leftovers(state)).isEmpty();
      assertThat(Netns.list()).noneMatch(n -> n.startsWith("kilnc-" + state.shortId));
      assertThat(Files.readString(Path.of("/proc/mounts"))).doesNotContain(state.dir.toString());
    }
    assertThat(Launcher.runningAll(out)).isEmpty();
    assertThat(out.resolve(Launcher.RECORDS_DIR).resolve("debian-13.properties")).doesNotExist();
    // idempotent
    assertThat(Launcher.terminate(out, System.out::println)).isEmpty();
  }

  /** Renders and bakes every recipe of {@code spec}; recipe → AMI. */
  static Map<String, String> bakeAll(KilnSpec spec) throws Exception {
    new Renderer(spec.templatesDir()).renderAll(spec, "0.1.0-test");
    List<String> ids = spec.recipes().stream().map(r -> r.id()).toList();
    BakeResult r =
        new Bakery()
            .bake(
                BakeRequest.of(spec.outputDir(), ids, "sandbox", "0.1.0-test")
                    .withSandboxCacheDir(SandboxSettings.defaultCacheDir()),
                LOG);
    Map<String, String> out = new LinkedHashMap<>();
    r.images().forEach(i -> out.putIfAbsent(i.recipe(), i.amiId()));
    return out;
  }

  /** CIS SSH keywords and the values Kiln's defaults give them (docs/hardening.md). */
  static final Map<String, String> CIS_VALUES =
      Map.ofEntries(
          Map.entry("PermitRootLogin", "no"),
          Map.entry("MaxAuthTries", "3"),
          Map.entry("IgnoreRhosts", "yes"),
          Map.entry("PermitEmptyPasswords", "no"),
          Map.entry("PermitUserEnvironment", "no"),
          Map.entry("HostbasedAuthentication", "no"),
          Map.entry("ClientAliveInterval", "300"),
          Map.entry("ClientAliveCountMax", "3"),
          Map.entry("MaxSessions", "10"),
          Map.entry("LoginGraceTime", "30"),
          Map.entry("MaxStartups", "10:30:60"),
          Map.entry("LogLevel", "VERBOSE"),
          Map.entry("X11Forwarding", "no"),
          Map.entry("DisableForwarding", "yes"),
          Map.entry("GSSAPIAuthentication", "no"),
          Map.entry("UsePAM", "yes"));

  /**
   * Greps the booted image's files as file-reading scanners do: one reads only sshd_config and
   * wants the keyword there with the value, the other reads every file and wants every occurrence
   * to carry it.
   */
  static void scannersReadingFilesSeeTheHardenedValues(CandidateState state) throws Exception {
    for (Map.Entry<String, String> e : CIS_VALUES.entrySet()) {
      String grep = " | grep -iE '^[[:space:]]*" + e.getKey() + "[[:space:]]' | awk '{ print $2 }'";
      String mainOnly =
          CandidateSandbox.exec(state, "cat /etc/ssh/sshd_config" + grep, Duration.ofSeconds(20))
              .output();
      assertThat(mainOnly.lines().toList())
          .as(e.getKey() + " in /etc/ssh/sshd_config alone")
          .isNotEmpty()
          .allMatch(v -> v.equalsIgnoreCase(e.getValue()));
      String everyFile =
          CandidateSandbox.exec(
                  state,
                  "cat /etc/ssh/sshd_config /etc/ssh/sshd_config.d/*.conf" + grep,
                  Duration.ofSeconds(20))
              .output();
      assertThat(everyFile.lines().toList())
          .as(e.getKey() + " in every sshd file")
          .isNotEmpty()
          .allMatch(v -> v.equalsIgnoreCase(e.getValue()));
    }
  }

  @Test
  void imageThatPermitsRootLoginFailsVerifyNamingTheControl() throws Exception {
    assumeSandbox();
    Path templates = tmp.resolve("templates");
    Files.createDirectories(templates.resolve("sshd"));
    String stock;
    try (InputStream in =
        getClass()
            .getClassLoader()
            .getResourceAsStream("kiln/templates/sshd/00-kiln-hardening.conf.j2")) {
      stock = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(stock).contains("PermitRootLogin no");
    Files.writeString(
        templates.resolve("sshd/00-kiln-hardening.conf.j2"),
        stock.replace("PermitRootLogin no", "PermitRootLogin yes"));
    Path out = tmp.resolve("target/kiln");
    KilnSpec spec = KilnSpec.parse(config(out, templates), tmp);
    String ami = bake(spec);
    Launcher.terminate(out, System.out::println);
    new Launcher()
        .launch(
            LaunchRequest.sandbox(out, ami, SandboxSettings.defaultCacheDir()),
            System.out::println);
    CandidateState state = stateOf(out);
    try {
      assertThatThrownBy(() -> Verifier.verify(out, spec, System.out::println))
          .isInstanceOf(KilnException.class)
          .hasMessageContaining("sshd-effective-config")
          .satisfies(
              e ->
                  assertThat(((KilnException) e).details())
                      .anyMatch(
                          d ->
                              d.startsWith("sshd-effective-config")
                                  && d.contains("permitrootlogin")));
      Document junit =
          DocumentBuilderFactory.newInstance()
              .newDocumentBuilder()
              .parse(out.resolve("report").resolve(Report.JUNIT).toFile());
      assertThat(junit.getElementsByTagName("failure").getLength()).isGreaterThanOrEqualTo(1);
    } finally {
      Launcher.terminate(out, System.out::println);
    }
    assertThat(CandidateCleanup.leftovers(state)).isEmpty();
  }

  /** The sandbox state of the candidate {@code out/instance.json}, or a record file, names. */
  static CandidateState stateOf(Path outOrRecord) throws KilnException {
    Path file = Files.isDirectory(outOrRecord) ? outOrRecord.resolve(Launcher.RECORD) : outOrRecord;
    return Candidate.read(file).orElseThrow().sandbox();
  }
}
