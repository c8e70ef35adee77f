package dev.kiln.publish;

import dev.kiln.spec.KilnException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeLaunchTemplateVersionsRequest;
import software.amazon.awssdk.services.ec2.model.LaunchTemplate;
import software.amazon.awssdk.services.ec2.model.LaunchTemplateVersion;

/**
 * The launch template side of publish and rollback: a new version per published image, with the
 * explicit image id (instance refresh can only roll back a template version that names its image,
 * not one that resolves it through {@code resolve:ssm:}).
 */
public final class Templates {
  /** The description prefix of the versions Kiln creates: rollback moves only Kiln's defaults. */
  public static final String DESCRIPTION_PREFIX = "kiln:publish ";

  /** One version of a launch template. */
  public record Version(
      String templateId,
      String templateName,
      long version,
      String imageId,
      String description,
      boolean isDefault) {
    public boolean byKiln() {
      return description != null && description.startsWith(DESCRIPTION_PREFIX);
    }
  }

  private final Ec2Client ec2;

  public Templates(Ec2Client ec2) {
    this.ec2 = ec2;
  }

  /** The template named or identified by {@code idOrName}, if it exists. */
  public Optional<LaunchTemplate> find(String idOrName) throws KilnException {
    try {
      var r =
          Names.isTemplateId(idOrName)
              ? ec2.describeLaunchTemplates(x -> x.launchTemplateIds(idOrName))
              : ec2.describeLaunchTemplates(x -> x.launchTemplateNames(idOrName));
      return r.launchTemplates().stream().findFirst();
    } catch (AwsServiceException e) {
      // InvalidLaunchTemplateName.NotFoundException / InvalidLaunchTemplateId.NotFound
      String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
      if ((code != null && code.contains("NotFound"))
          || String.valueOf(e.getMessage()).contains("does not exist")) {
        return Optional.empty();
      }
      throw Parameters.aws("describing launch template " + idOrName, e);
    } catch (SdkException e) {
      throw Parameters.aws("describing launch template " + idOrName, e);
    }
  }

  /**
   * Creates a version of the template with {@code imageId} on top of its latest version (AWS copies
   * everything else from the source version), or the template itself when {@code create} and it
   * does not exist (the sandbox, where nothing else creates templates).
   */
  public Version createVersion(String idOrName, String imageId, String description, boolean create)
      throws KilnException {
    Optional<LaunchTemplate> lt = find(idOrName);
    try {
      if (lt.isEmpty()) {
        if (!create || Names.isTemplateId(idOrName)) {
          throw new KilnException(
              "publish.launchTemplate",
              "launch template "
                  + idOrName
                  + " does not exist: create it first (CloudFormation AWS::EC2::LaunchTemplate, or"
                  + " aws ec2 create-launch-template); Kiln only adds versions",
              List.of(),
              null);
        }
        LaunchTemplate t =
            ec2.createLaunchTemplate(
                    r ->
                        r.launchTemplateName(idOrName)
                            .versionDescription(description)
                            .launchTemplateData(d -> d.imageId(imageId)))
                .launchTemplate();
        return new Version(
            t.launchTemplateId(), t.launchTemplateName(), 1, imageId, description, true);
      }
      LaunchTemplate t = lt.get();
      LaunchTemplateVersion v =
          ec2.createLaunchTemplateVersion(
                  r ->
                      r.launchTemplateId(t.launchTemplateId())
                          .sourceVersion("$Latest")
                          .versionDescription(description)
                          .launchTemplateData(d -> d.imageId(imageId)))
              .launchTemplateVersion();
      return new Version(
          t.launchTemplateId(),
          t.launchTemplateName(),
          v.versionNumber(),
          imageId,
          description,
          Boolean.TRUE.equals(v.defaultVersion()));
    } catch (SdkException e) {
      throw Parameters.aws("creating a version of launch template " + idOrName, e);
    }
  }

  /** Makes {@code version} the template's default. */
  public void setDefault(String templateId, long version) throws KilnException {
    try {
      ec2.modifyLaunchTemplate(
          r -> r.launchTemplateId(templateId).defaultVersion(Long.toString(version)));
    } catch (SdkException e) {
      throw Parameters.aws("setting the default version of " + templateId + " to " + version, e);
    }
  }

  /** Every version of the template, oldest first. */
  public List<Version> versions(String templateId) throws KilnException {
    List<Version> out = new ArrayList<>();
    try {
      DescribeLaunchTemplateVersionsRequest req =
          DescribeLaunchTemplateVersionsRequest.builder().launchTemplateId(templateId).build();
      for (var page : ec2.describeLaunchTemplateVersionsPaginator(req)) {
        for (LaunchTemplateVersion v : page.launchTemplateVersions()) {
          out.add(
              new Version(
                  v.launchTemplateId(),
                  v.launchTemplateName(),
                  v.versionNumber(),
                  v.launchTemplateData() == null ? null : v.launchTemplateData().imageId(),
                  v.versionDescription(),
                  Boolean.TRUE.equals(v.defaultVersion())));
        }
      }
    } catch (SdkException e) {
      throw Parameters.aws("describing the versions of launch template " + templateId, e);
    }
    out.sort(Comparator.comparingLong(Version::version));
    return out;
  }

  /** Every launch template in the region. */
  public List<LaunchTemplate> all() throws KilnException {
    List<LaunchTemplate> out = new ArrayList<>();
    try {
      for (var page : ec2.describeLaunchTemplatesPaginator(r -> r.maxResults(200))) {
        out.addAll(page.launchTemplates());
      }
    } catch (SdkException e) {
      throw Parameters.aws("listing launch templates", e);
    }
    return out;
  }
}
