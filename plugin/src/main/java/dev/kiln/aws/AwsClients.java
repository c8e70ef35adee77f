package dev.kiln.aws;

import dev.kiln.spec.KilnException;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * SDK v2 clients on {@link UrlConnectionHttpClient} (small, fast to start), with the endpoint
 * override, profile and region of {@link AwsSettings}. Close it to release the HTTP client.
 */
public final class AwsClients implements AutoCloseable {
  private final AwsSettings settings;
  private final SdkHttpClient http = UrlConnectionHttpClient.create();
  private final AwsCredentialsProvider credentials;

  public AwsClients(AwsSettings settings) {
    this.settings = settings;
    if (settings.hasStaticCredentials()) {
      credentials =
          StaticCredentialsProvider.create(
              AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey()));
    } else if (settings.profile() != null && !settings.profile().isBlank()) {
      credentials = ProfileCredentialsProvider.create(settings.profile());
    } else {
      credentials = DefaultCredentialsProvider.builder().build();
    }
  }

  public AwsSettings settings() {
    return settings;
  }

  public AwsCredentialsProvider credentials() {
    return credentials;
  }

  /** The configured region, else the SDK's default region chain. */
  public String region() throws KilnException {
    if (settings.region() != null && !settings.region().isBlank()) {
      return settings.region();
    }
    try {
      return new DefaultAwsRegionProviderChain().getRegion().id();
    } catch (SdkClientException e) {
      throw new KilnException(
          "aws.region",
          "no AWS region configured: set <aws><region> / -Dkiln.aws.region, AWS_REGION, or a"
              + " region in ~/.aws/config",
          List.of(),
          e);
    }
  }

  /** An EC2 client for {@code region}. */
  public Ec2Client ec2(String region) {
    var b =
        Ec2Client.builder()
            .httpClient(http)
            .credentialsProvider(credentials)
            .region(Region.of(region));
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint());
    }
    return b.build();
  }

  /** An SSM client for {@code region} (Parameter Store: publish, rollback, prune). */
  public SsmClient ssm(String region) {
    var b =
        SsmClient.builder()
            .httpClient(http)
            .credentialsProvider(credentials)
            .region(Region.of(region));
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint());
    }
    return b.build();
  }

  /** An Auto Scaling client for {@code region} (instance refresh: rollout). */
  public AutoScalingClient autoScaling(String region) {
    var b =
        AutoScalingClient.builder()
            .httpClient(http)
            .credentialsProvider(credentials)
            .region(Region.of(region));
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint());
    }
    return b.build();
  }

  /** An IAM client (global service; signed for us-east-1 unless overridden). */
  public IamClient iam() {
    var b =
        IamClient.builder()
            .httpClient(http)
            .credentialsProvider(credentials)
            .region(Region.AWS_GLOBAL);
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint()).region(Region.US_EAST_1);
    }
    return b.build();
  }

  @Override
  public void close() {
    http.close();
  }
}
