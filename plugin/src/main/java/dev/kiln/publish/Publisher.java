package dev.kiln.publish;

import dev.kiln.spec.KilnException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Image;

/**
 * Puts a verified image into Parameter Store and, optionally, a launch template version; and moves
 * both back ({@link #rollback}). The same code runs against AWS and the sandbox's emulator; Kiln
 * checks what the emulator does not (the id's format, the image's existence and verification).
 */
public final class Publisher {
  /** What to publish for one recipe. */
  public record Request(
      String recipe,
      String amiId,
      String parameter,
      String label,
      String launchTemplate,
      boolean setDefault,
      Duration timeout,
      Path reportDir,
      boolean createTemplate) {}

  /** What was published for one recipe. */
  public record Published(
      String recipe,
      String amiId,
      String parameter,
      long version,
      String label,
      String launchTemplateId,
      String launchTemplateName,
      Long launchTemplateVersion,
      boolean defaultSet,
      String verifiedBy) {
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("recipe", recipe);
      m.put("amiId", amiId);
      m.put("parameter", parameter);
      m.put("version", version);
      m.put("label", label);
      m.put("launchTemplateId", launchTemplateId);
      m.put("launchTemplateName", launchTemplateName);
      m.put("launchTemplateVersion", launchTemplateVersion);
      m.put("defaultVersionSet", defaultSet);
      m.put("verifiedBy", verifiedBy);
      return m;
    }
  }

  /** What a rollback moved. */
  public record RolledBack(
      String parameter,
      String label,
      long fromVersion,
      String fromAmi,
      long toVersion,
      String toAmi,
      String launchTemplateId,
      Long launchTemplateVersion) {}

  private final Ec2Client ec2;
  private final Parameters parameters;
  private final Templates templates;
  private final Consumer<String> log;

  public Publisher(Ec2Client ec2, Parameters parameters, Consumer<String> log) {
    this.ec2 = ec2;
    this.parameters = parameters;
    this.templates = new Templates(ec2);
    this.log = log;
  }

  /** The image, which must exist and be available: Kiln's own check, not the emulator's. */
  Image image(String amiId) throws KilnException {
    Names.amiId("ami.id", amiId);
    try {
      Image i =
          ec2.describeImages(r -> r.imageIds(amiId)).images().stream()
              .findFirst()
              .orElseThrow(() -> new KilnException("image " + amiId + " does not exist"));
      if (!"available".equals(i.stateAsString())) {
        throw new KilnException("image " + amiId + " is " + i.stateAsString() + ", not available");
      }
      return i;
    } catch (SdkException e) {
      if (e.getMessage() != null && e.getMessage().contains("InvalidAMIID")) {
        throw new KilnException("image " + amiId + " does not exist: " + e.getMessage(), e);
      }
      throw Parameters.aws("describing " + amiId, e);
    }
  }

  static Map<String, String> tags(Image i) {
    Map<String, String> m = new LinkedHashMap<>();
    i.tags().forEach(t -> m.put(t.key(), t.value()));
    return m;
  }

  /** Publishes one recipe's image. Nothing is written when a check fails. */
  public Published publish(Request r) throws KilnException {
    Names.parameter("publish.parameter", r.parameter());
    Names.label("publish.label", r.label());
    if (r.launchTemplate() != null) {
      Names.launchTemplate("publish.launchTemplate", r.launchTemplate());
    }
    Image image = image(r.amiId());
    String verifiedBy = VerifiedMark.require(r.reportDir(), r.amiId(), tags(image));
    log.accept("Publishing " + r.amiId() + " (" + r.recipe() + "), verified by " + verifiedBy);

    List<Parameters.Version> history = parameters.history(r.parameter());
    long version;
    if (!history.isEmpty() && r.amiId().equals(history.get(history.size() - 1).value())) {
      // A rebuild that reused the image: its version is the newest already, no new version.
      version = history.get(history.size() - 1).version();
      log.accept("  " + r.parameter() + ":" + version + " already holds " + r.amiId());
    } else {
      version = parameters.put(r.parameter(), r.amiId());
      parameters.awaitVisible(r.parameter(), version, r.amiId(), r.timeout(), log);
    }
    parameters.label(r.parameter(), version, r.label());
    log.accept("  " + r.parameter() + ":" + version + " labelled " + r.label());

    String ltId = null;
    String ltName = null;
    Long ltVersion = null;
    boolean defaultSet = false;
    if (r.launchTemplate() != null) {
      Templates.Version v = templateVersionFor(r);
      ltId = v.templateId();
      ltName = v.templateName();
      ltVersion = v.version();
      if (r.setDefault() && !v.isDefault()) {
        templates.setDefault(ltId, ltVersion);
      }
      defaultSet = r.setDefault() || v.isDefault();
      log.accept(
          "  launch template "
              + ltName
              + " ("
              + ltId
              + ") version "
              + ltVersion
              + " with ImageId "
              + r.amiId()
              + (defaultSet ? ", the default version" : ""));
    }
    return new Published(
        r.recipe(),
        r.amiId(),
        r.parameter(),
        version,
        r.label(),
        ltId,
        ltName,
        ltVersion,
        defaultSet,
        verifiedBy);
  }

  /** The newest version when Kiln made it for this image already, else a new one. */
  private Templates.Version templateVersionFor(Request r) throws KilnException {
    var lt = templates.find(r.launchTemplate());
    if (lt.isPresent()) {
      List<Templates.Version> vs = templates.versions(lt.get().launchTemplateId());
      if (!vs.isEmpty()) {
        Templates.Version last = vs.get(vs.size() - 1);
        if (r.amiId().equals(last.imageId()) && last.byKiln()) {
          return last;
        }
      }
    }
    return templates.createVersion(
        r.launchTemplate(),
        r.amiId(),
        Templates.DESCRIPTION_PREFIX + r.amiId() + " " + r.parameter(),
        r.createTemplate());
  }

  /**
   * Moves {@code label} back to the newest older version whose image differs from the labelled one,
   * still exists and carries the {@code kiln:verified} tag; and the launch template's default back
   * to Kiln's version with that image, when the current default is one Kiln made.
   */
  public RolledBack rollback(String parameter, String label, String launchTemplate)
      throws KilnException {
    Names.parameter("publish.parameter", parameter);
    Names.label("publish.label", label);
    List<Parameters.Version> history = parameters.history(parameter);
    Parameters.Version current =
        Parameters.labelled(history, label)
            .orElseThrow(
                () ->
                    new KilnException(
                        "publish.label",
                        "no version of "
                            + parameter
                            + " carries the label "
                            + label
                            + ": nothing"
                            + " to roll back",
                        List.of(),
                        null));
    Parameters.Version target = null;
    for (int i = history.size() - 1; i >= 0 && target == null; i--) {
      Parameters.Version v = history.get(i);
      if (v.version() >= current.version() || v.value().equals(current.value())) {
        continue;
      }
      Optional<Image> img = existing(v.value());
      if (img.isPresent() && VerifiedMark.isVerified(tags(img.get()))) {
        target = v;
      } else {
        log.accept(
            "  skipping "
                + parameter
                + ":"
                + v.version()
                + " ("
                + v.value()
                + (img.isPresent() ? " has no kiln:verified tag)" : " no longer exists)"));
      }
    }
    if (target == null) {
      throw new KilnException(
          "no verified image older than "
              + parameter
              + ":"
              + current.version()
              + " ("
              + current.value()
              + ") to roll back to");
    }
    parameters.label(parameter, target.version(), label);
    log.accept(
        "Moved "
            + label
            + " of "
            + parameter
            + " from version "
            + current.version()
            + " ("
            + current.value()
            + ") back to "
            + target.version()
            + " ("
            + target.value()
            + ")");
    String ltId = null;
    Long ltVersion = null;
    if (launchTemplate != null) {
      Names.launchTemplate("publish.launchTemplate", launchTemplate);
      var lt = templates.find(launchTemplate);
      if (lt.isPresent()) {
        ltId = lt.get().launchTemplateId();
        List<Templates.Version> vs = templates.versions(ltId);
        String back = target.value();
        Templates.Version def =
            vs.stream().filter(Templates.Version::isDefault).findFirst().orElse(null);
        Templates.Version prev = null;
        for (Templates.Version v : vs) {
          if (back.equals(v.imageId()) && v.byKiln()) {
            prev = v;
          }
        }
        if (prev == null) {
          prev =
              templates.createVersion(
                  launchTemplate,
                  back,
                  Templates.DESCRIPTION_PREFIX + back + " " + parameter + " (rollback)",
                  false);
        }
        ltVersion = prev.version();
        if (def != null && def.byKiln() && def.version() != prev.version()) {
          templates.setDefault(ltId, prev.version());
          log.accept(
              "  launch template "
                  + ltId
                  + " default version "
                  + def.version()
                  + " → "
                  + prev.version());
        }
      }
    }
    return new RolledBack(
        parameter,
        label,
        current.version(),
        current.value(),
        target.version(),
        target.value(),
        ltId,
        ltVersion);
  }

  private Optional<Image> existing(String amiId) throws KilnException {
    if (amiId == null || !Names.AMI.matcher(amiId).matches()) {
      return Optional.empty();
    }
    try {
      return ec2.describeImages(r -> r.imageIds(amiId)).images().stream()
          .filter(i -> "available".equals(i.stateAsString()))
          .findFirst();
    } catch (SdkException e) {
      if (e.getMessage() != null && e.getMessage().contains("InvalidAMIID")) {
        return Optional.empty();
      }
      throw Parameters.aws("describing " + amiId, e);
    }
  }

  /** Ready-to-paste lines: a launch template / RunInstances image id and CloudFormation. */
  public static List<String> snippets(Published p) {
    return List.of(
        "Launch template ImageId or aws ec2 run-instances --image-id (EC2 resolves it at each"
            + " launch): resolve:ssm:"
            + p.parameter()
            + ":"
            + p.label(),
        "Pinned to this release: resolve:ssm:" + p.parameter() + ":" + p.version(),
        "CloudFormation parameter (the newest version at each stack update):",
        "  ImageId:",
        "    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
        "    Default: " + p.parameter());
  }
}
