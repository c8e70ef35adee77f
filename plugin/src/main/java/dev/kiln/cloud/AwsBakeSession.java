package dev.kiln.cloud;

import dev.kiln.aws.AwsClients;
import dev.kiln.aws.AwsSettings;
import dev.kiln.aws.ImageCatalog;
import dev.kiln.bake.RecipeBundle;
import dev.kiln.packer.PackerBuild;
import dev.kiln.spec.KilnException;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.ec2.Ec2Client;

/** Bakes in AWS (or any EC2 endpoint given by {@code -Dkiln.aws.endpoint}). */
final class AwsBakeSession implements BakeSession {
  private final AwsClients clients;
  private final Map<String, Ec2Client> ec2 = new HashMap<>();

  AwsBakeSession(AwsSettings settings) {
    this.clients = new AwsClients(settings);
  }

  @Override
  public String primaryRegion() throws KilnException {
    return clients.region();
  }

  @Override
  public synchronized ImageCatalog catalog(String region) {
    return new ImageCatalog(ec2.computeIfAbsent(region, clients::ec2), region);
  }

  @Override
  public void prepare(RecipeBundle b, String runId, PackerBuild build) throws KilnException {
    build.var("region", primaryRegion());
    if (clients.settings().endpoint() != null) {
      build.var("custom_endpoint_ec2", clients.settings().endpoint().toString());
    }
    // Packer uses the same identity as the SDK (profile, SSO, role...): pass resolved credentials.
    try {
      var c = clients.credentials().resolveCredentials();
      build.env("AWS_ACCESS_KEY_ID", c.accessKeyId());
      build.env("AWS_SECRET_ACCESS_KEY", c.secretAccessKey());
      if (c instanceof AwsSessionCredentials s) {
        build.env("AWS_SESSION_TOKEN", s.sessionToken());
      }
    } catch (SdkClientException e) {
      throw new KilnException(
          "aws.profile",
          "no AWS credentials: configure the default chain (AWS_ACCESS_KEY_ID, ~/.aws/credentials,"
              + " AWS_PROFILE) or -Dkiln.aws.profile, or use -Dkiln.cloud=sandbox ("
              + e.getMessage()
              + ")",
          java.util.List.of(),
          e);
    }
    build.env("AWS_REGION", primaryRegion());
  }

  @Override
  public boolean tolerateImdsUnsupported() {
    // Only an overridden endpoint (an emulator) may lack ImdsSupport; real AWS must accept it.
    return clients.settings().endpoint() != null;
  }

  @Override
  public synchronized void close() {
    ec2.values().forEach(Ec2Client::close);
    clients.close();
  }
}
