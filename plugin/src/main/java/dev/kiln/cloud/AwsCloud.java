package dev.kiln.cloud;

import dev.kiln.aws.AwsClients;
import dev.kiln.aws.AwsSettings;
import dev.kiln.aws.CandidateEc2;
import dev.kiln.aws.ImageCatalog;
import dev.kiln.aws.ImagePrune;
import dev.kiln.bake.BakeLog;
import dev.kiln.bake.RecipeBundle;
import dev.kiln.launch.LaunchRequest;
import dev.kiln.launch.Launcher;
import dev.kiln.probe.HostTarget;
import dev.kiln.probe.Target;
import dev.kiln.spec.CloudSettings;
import dev.kiln.spec.KilnException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import software.amazon.awssdk.services.ec2.Ec2Client;

/** AWS, or any EC2 endpoint given by {@code -Dkiln.aws.endpoint}. */
public final class AwsCloud implements Cloud {
  private final CloudSettings settings;
  private final AwsSettings aws;

  AwsCloud(CloudSettings settings, AwsSettings aws) {
    this.settings = settings;
    this.aws = aws;
  }

  @Override
  public String name() {
    return Clouds.AWS;
  }

  @Override
  public CloudSettings settings() {
    return settings;
  }

  @Override
  public String region() throws KilnException {
    try (AwsClients clients = new AwsClients(aws)) {
      return clients.region();
    }
  }

  @Override
  public BakeSession bake(List<RecipeBundle> bundles, BakeLog log) {
    return new AwsBakeSession(aws);
  }

  @Override
  public Candidate launch(
      LaunchRequest req,
      Candidate start,
      Consumer<Candidate> record,
      Launcher.BannerWait banner,
      Consumer<String> log)
      throws KilnException {
    CandidateEc2.checkCidrs(req.trustedCidrs(), req.allowWorld());
    try (AwsClients clients = new AwsClients(aws);
        Ec2Client ec2 = clients.ec2(clients.region())) {
      Candidate[] c = {
        start.withAws(
            new Candidate.Aws(
                clients.region(),
                aws.profile(),
                aws.endpoint() == null ? null : aws.endpoint().toString(),
                null,
                null))
      };
      record.accept(c[0]);
      CandidateEc2.Created made =
          CandidateEc2.launch(
              ec2,
              start.amiId(),
              req.trustedCidrs(),
              req.port(),
              req.instanceType(),
              req.subnetId(),
              req.instanceProfile(),
              start.runId(),
              req.timeout(),
              sg -> {
                c[0] = c[0].withAws(c[0].aws().withSecurityGroup(sg));
                record.accept(c[0]);
              },
              log);
      c[0] =
          c[0].withAws(c[0].aws().withInstance(made.instanceId()))
              .at(made.host(), req.port(), Candidate.LAUNCHING);
      record.accept(c[0]);
      banner.await(made.host(), req.port(), req.timeout(), log);
      return c[0].at(made.host(), req.port(), Candidate.RUNNING);
    }
  }

  @Override
  public List<String> terminate(Candidate c) throws KilnException {
    Candidate.Aws a = c.aws();
    if (a == null) {
      return List.of();
    }
    try (AwsClients clients = new AwsClients(aws);
        Ec2Client ec2 = clients.ec2(clients.region())) {
      return CandidateEc2.terminate(
          ec2, a.instanceId(), a.securityGroupId(), Duration.ofMinutes(10));
    }
  }

  @Override
  public Target target(Candidate c) {
    return new HostTarget(c.host(), c.portNumber());
  }

  @Override
  public void tagImage(String amiId, Map<String, String> tags) throws KilnException {
    try (AwsClients clients = new AwsClients(aws);
        Ec2Client ec2 = clients.ec2(clients.region())) {
      new ImageCatalog(ec2, clients.region()).tag(amiId, tags);
    }
  }

  @Override
  public List<ImagePrune.Pruned> prune(
      List<String> recipes,
      int keep,
      Map<String, String> kept,
      boolean dryRun,
      Consumer<String> log)
      throws KilnException {
    try (AwsBakeSession s = new AwsBakeSession(aws)) {
      return new ImagePrune(s.catalog(s.primaryRegion())).prune(recipes, keep, kept, dryRun, log);
    }
  }

  @Override
  public Api api(Consumer<String> log) throws KilnException {
    AwsClients clients = new AwsClients(aws);
    try {
      return new Api(clients, clients.region(), null);
    } catch (KilnException | RuntimeException e) {
      clients.close();
      throw e;
    }
  }
}
