package dev.kiln.maven;

import dev.kiln.launch.LaunchRequest;
import dev.kiln.launch.Launched;
import dev.kiln.launch.Launcher;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import dev.kiln.spec.KilnSpec;
import dev.kiln.spec.ParameterValues;
import dev.kiln.spec.Props;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;

/**
 * Boots a candidate from the baked image ({@code kiln.ami.id}, else {@code target/kiln/bake.json})
 * and exposes {@code kiln.instance.id}, {@code kiln.instance.host} and {@code kiln.instance.port}
 * as project properties (also in {@code target/kiln/instance.properties}) for failsafe tests; when
 * the bake made several recipes, a candidate of each ({@code target/kiln/instances/<recipe>.json},
 * properties {@code kiln.instance.<recipe>.id|host|port}, {@code kiln.instance.*} the first). On
 * AWS: IMDSv2 required, a security group open on the SSH port to {@code <hardening><trustedCidrs>}
 * only, the instance profile, {@code kiln:run-id} tags. In the sandbox: a fresh overlay in its own
 * namespaces, reached through 127.0.0.1. Unless {@code -Dkiln.launch.keep}, the candidate is
 * removed when the build ends without {@code kiln:terminate}.
 *
 * @since 0.1.0
 */
@Mojo(name = "launch", defaultPhase = LifecyclePhase.PRE_INTEGRATION_TEST, threadSafe = true)
public class LaunchMojo extends AbstractKilnMojo {

  @Override
  protected String goal() {
    return "launch";
  }

  @Override
  protected void run(ParameterValues v, KilnSpec spec) throws KilnException {
    String ami = v.string("ami.id");
    boolean allowWorld = v.bool("launch.allowWorld");
    // Trusted networks are never wider than /8 (/32): the whole world is only ever opened on
    // purpose.
    List<String> sources = new ArrayList<>(spec.hardening().trustedCidrs());
    if (allowWorld) {
      sources.addAll(List.of("0.0.0.0/0", "::/0"));
    }
    CloudSettings c = cloudSettings();
    LaunchRequest req =
        new LaunchRequest(
            spec.outputDir(),
            c.cloud(),
            ami,
            sources,
            allowWorld,
            Duration.ofSeconds(v.seconds("launch.timeout")),
            v.bool("launch.keep"),
            v.string("runId"),
            spec.hardening().port(),
            v.string("launch.instanceType"),
            v.string("launch.subnetId"),
            v.string("launch.instanceProfile"),
            c.awsProfile(),
            c.awsRegion(),
            c.awsEndpoint(),
            c.sandboxCacheDir());
    List<Launched> all =
        new Launcher()
            .launchAll(req, project.getProperties().getProperty(Props.OUT_AMI_ID), getLog()::info);
    // kiln.instance.* name the first recipe's candidate; kiln.instance.<recipe>.* each one.
    Launched l = all.get(0);
    project.getProperties().setProperty(Props.OUT_INSTANCE_ID, l.instanceId());
    project.getProperties().setProperty(Props.OUT_INSTANCE_HOST, l.host());
    project.getProperties().setProperty(Props.OUT_INSTANCE_PORT, Integer.toString(l.port()));
    for (Launched each : all) {
      if (each.recipe() != null) {
        String p = "kiln.instance." + each.recipe() + ".";
        project.getProperties().setProperty(p + "id", each.instanceId());
        project.getProperties().setProperty(p + "host", each.host());
        project.getProperties().setProperty(p + "port", Integer.toString(each.port()));
      }
    }
  }
}
