package dev.kiln.launch;

import java.nio.file.Path;

/**
 * A running candidate: what failsafe tests need ({@code kiln.instance.*}) and where it is recorded.
 * {@code recipe} is the recipe of its image per {@code bake.json}, or null when unknown.
 */
public record Launched(
    String cloud,
    String instanceId,
    String amiId,
    String host,
    int port,
    Path record,
    long millis,
    String recipe) {}
