package dev.kiln.packer;

import java.util.Map;

/** One artifact of a build: builder id, raw id and, for amazon builders, region → AMI id. */
public record Artifact(String build, String builderId, String id, Map<String, String> amis) {
  public Artifact {
    amis = Map.copyOf(amis);
  }
}
