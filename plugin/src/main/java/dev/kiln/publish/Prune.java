package dev.kiln.publish;

import dev.kiln.cloud.Cloud;
import dev.kiln.cloud.Clouds;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import software.amazon.awssdk.services.ec2.model.LaunchTemplate;

/**
 * What {@code kiln:prune} must never remove because it is in use or published: images run by a
 * sandbox candidate ({@link dev.kiln.cloud.Cloud#imagesInUse}), images referenced by a labelled
 * parameter version, by one of the newest {@code <prune><keepPublished>} versions of an {@code
 * aws:ec2:image} parameter, by any launch template version, or run by a sandbox group's instance
 * (on AWS, instances of Auto Scaling groups are instances, which prune keeps anyway).
 */
public final class Prune {
  /** An image and the rule that keeps it. */
  public record Kept(String amiId, String rule) {}

  private Prune() {}

  /** As {@link #protectedImages(Cloud, int, Consumer)}, the cloud chosen from {@code c}. */
  public static List<Kept> protectedImages(CloudSettings c, int keepPublished, Consumer<String> log)
      throws KilnException {
    return protectedImages(Clouds.choose(c), keepPublished, log);
  }

  /** Every protected image with its rules, from the cloud's parameters, templates and groups. */
  public static List<Kept> protectedImages(Cloud c, int keepPublished, Consumer<String> log)
      throws KilnException {
    if (keepPublished < 0) {
      throw KilnException.badParameter("prune.keepPublished", keepPublished, "a number ≥ 0");
    }
    List<Kept> out = new ArrayList<>();
    try (ReleaseCloud rc = ReleaseCloud.open(c, log)) {
      Parameters parameters = new Parameters(rc.ssm);
      for (String name : parameters.imageParameters()) {
        List<Parameters.Version> h = parameters.history(name);
        for (int i = 0; i < h.size(); i++) {
          Parameters.Version v = h.get(i);
          for (String label : v.labels()) {
            out.add(
                new Kept(v.value(), "parameter " + name + ":" + v.version() + " label " + label));
          }
          if (i >= h.size() - keepPublished) {
            out.add(
                new Kept(
                    v.value(),
                    "parameter "
                        + name
                        + ":"
                        + v.version()
                        + " is one of its newest "
                        + keepPublished
                        + " versions (<prune><keepPublished>)"));
          }
        }
      }
      Templates templates = new Templates(rc.ec2);
      for (LaunchTemplate lt : templates.all()) {
        for (Templates.Version v : templates.versions(lt.launchTemplateId())) {
          if (v.imageId() != null) {
            String image =
                v.imageId().startsWith(SandboxImages.PREFIX)
                    ? SandboxImages.resolve(rc, v.imageId())
                    : v.imageId();
            out.add(
                new Kept(
                    image,
                    "launch template " + lt.launchTemplateName() + " version " + v.version()));
          }
        }
      }
      if (rc.isSandbox()) {
        for (String g : SandboxGroup.names(rc.cacheDir)) {
          for (SandboxGroup.Member m : SandboxGroup.load(rc.cacheDir, g, rc.region).members()) {
            out.add(new Kept(m.amiId(), "group " + g + " instance " + m.instanceId()));
          }
        }
      }
    }
    List<Kept> all = new ArrayList<>();
    out.forEach(k -> all.add(new Kept(k.amiId(), "published — " + k.rule())));
    c.imagesInUse().forEach((ami, why) -> all.add(new Kept(ami, why)));
    return all;
  }

  /** The rules by image: every rule that keeps it, joined. */
  public static Map<String, String> byImage(List<Kept> kept) {
    Map<String, String> m = new LinkedHashMap<>();
    for (Kept k : kept) {
      m.merge(k.amiId(), k.rule(), (a, b) -> a + "; " + b);
    }
    return m;
  }
}
