package dev.kiln.aws;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * How to reach AWS: profile ({@code -Dkiln.aws.profile}), region ({@code -Dkiln.aws.region}),
 * endpoint override ({@code -Dkiln.aws.endpoint}), and optionally static credentials (the sandbox's
 * emulator). Anything unset comes from the SDK's default chains.
 */
public record AwsSettings(
    String profile, String region, URI endpoint, String accessKeyId, String secretAccessKey) {

  /** Settings for the default chains. */
  public static AwsSettings defaults() {
    return new AwsSettings(null, null, null, null, null);
  }

  public AwsSettings withRegion(String r) {
    return new AwsSettings(profile, r, endpoint, accessKeyId, secretAccessKey);
  }

  public boolean hasStaticCredentials() {
    return accessKeyId != null && secretAccessKey != null;
  }

  /**
   * Whether AWS credentials are configured for the default chain: {@code AWS_ACCESS_KEY_ID}, {@code
   * AWS_PROFILE}, or {@code ~/.aws/credentials}. Decides the default cloud.
   */
  public static boolean credentialsConfigured(Map<String, String> env, Path home) {
    if (notBlank(env.get("AWS_ACCESS_KEY_ID")) || notBlank(env.get("AWS_PROFILE"))) {
      return true;
    }
    String file = env.get("AWS_SHARED_CREDENTIALS_FILE");
    Path creds = notBlank(file) ? Path.of(file) : home.resolve(".aws/credentials");
    return Files.isRegularFile(creds);
  }

  private static boolean notBlank(String s) {
    return s != null && !s.isBlank();
  }
}
