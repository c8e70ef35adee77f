package dev.kiln.packer;

import java.time.Duration;
import java.util.List;

/** The outcome of a successful {@code packer build}. */
public record PackerResult(List<Artifact> artifacts, Duration duration) {
  public PackerResult {
    artifacts = List.copyOf(artifacts);
  }
}
