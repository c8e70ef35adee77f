package dev.kiln.maven;

import dev.kiln.publish.Publisher;
import dev.kiln.publish.ReleaseSettings;
import dev.kiln.publish.Releases;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterValues;
import java.util.List;
import java.util.Properties;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;

/**
 * Publishes each baked recipe's verified image: a new version of the SSM parameter {@code
 * <publish><parameter>} ({@code aws:ec2:image}), the label {@code <publish><label>} moved to it,
 * and optionally a launch template version with the explicit image id. Refuses an image that has
 * not passed kiln:verify. Writes {@code target/kiln/publish.json}, sets {@code
 * kiln.publish.<recipe>.version} and friends, prints {@code resolve:ssm:} and CloudFormation
 * snippets.
 *
 * @since 0.1.0
 */
@Mojo(name = "publish", defaultPhase = LifecyclePhase.DEPLOY, threadSafe = true)
public class PublishMojo extends AbstractKilnMojo {

  @Override
  protected String goal() {
    return "publish";
  }

  @Override
  protected void run(ParameterValues v, KilnSpec spec) throws KilnException {
    List<Publisher.Published> out =
        Releases.publish(
            cloudSettings(),
            ReleaseSettings.of(v, project.getGroupId(), project.getArtifactId()),
            spec.outputDir(),
            v.strings("recipes"),
            getLog()::info);
    Properties props = project.getProperties();
    for (Publisher.Published p : out) {
      String k = "kiln.publish." + p.recipe() + ".";
      props.setProperty(k + "parameter", p.parameter());
      props.setProperty(k + "version", Long.toString(p.version()));
      props.setProperty(k + "amiId", p.amiId());
      if (p.launchTemplateVersion() != null) {
        props.setProperty(k + "launchTemplateVersion", p.launchTemplateVersion().toString());
      }
    }
    if (out.size() == 1) {
      props.setProperty("kiln.publish.parameter", out.get(0).parameter());
      props.setProperty("kiln.publish.version", Long.toString(out.get(0).version()));
    }
  }
}
