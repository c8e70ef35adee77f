package dev.kiln.publish;

import dev.kiln.spec.KilnException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * What EC2 does at launch and the emulator does not: the image of a launch template version, with
 * {@code resolve:ssm:NAME}, {@code NAME:VERSION} or {@code NAME:LABEL} resolved through Parameter
 * Store. The sandbox group boots what this returns.
 */
final class SandboxImages {
  static final String PREFIX = "resolve:ssm:";

  private SandboxImages() {}

  /** The image id of version {@code version} of the template named {@code name}. */
  static String templateImage(ReleaseCloud rc, String name, long version) throws KilnException {
    String image;
    try {
      image =
          rc
              .ec2
              .describeLaunchTemplateVersions(
                  r -> r.launchTemplateName(name).versions(Long.toString(version)))
              .launchTemplateVersions()
              .stream()
              .findFirst()
              .orElseThrow(
                  () -> new KilnException("launch template " + name + " has no version " + version))
              .launchTemplateData()
              .imageId();
    } catch (SdkException e) {
      throw Parameters.aws("reading launch template " + name + " version " + version, e);
    }
    return image != null && image.startsWith(PREFIX) ? resolve(rc, image) : checked(image);
  }

  /** Resolves {@code resolve:ssm:NAME[:VERSION|:LABEL]} to the image id it names now. */
  static String resolve(ReleaseCloud rc, String ref) throws KilnException {
    if (!ref.startsWith(PREFIX)) {
      return checked(ref);
    }
    String name = ref.substring(PREFIX.length());
    try {
      return checked(rc.ssm.getParameter(r -> r.name(name)).parameter().value());
    } catch (SdkException e) {
      throw Parameters.aws("resolving " + ref, e);
    }
  }

  private static String checked(String image) throws KilnException {
    if (image == null || !Names.AMI.matcher(image).matches()) {
      throw new KilnException(
          "the launch template's image '" + Names.quote(image) + "' is not an AMI id");
    }
    return image;
  }
}
