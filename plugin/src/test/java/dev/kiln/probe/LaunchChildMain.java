package dev.kiln.probe;

import dev.kiln.launch.LaunchRequest;
import dev.kiln.launch.Launcher;
import java.nio.file.Path;
import java.time.Duration;

/** A separate "Maven run" for {@link LaunchLifecycleTest}: launches, then waits or exits. */
public final class LaunchChildMain {
  private LaunchChildMain() {}

  public static void main(String[] a) throws Exception {
    Path out = Path.of(a[0]);
    boolean keep = Boolean.parseBoolean(a[3]);
    LaunchRequest r = LaunchRequest.sandbox(out, a[1], Path.of(a[2]));
    r =
        new LaunchRequest(
            r.outputDir(),
            r.cloud(),
            r.amiId(),
            r.trustedCidrs(),
            false,
            Duration.ofSeconds(60),
            keep,
            null,
            22,
            null,
            null,
            null,
            null,
            null,
            null,
            r.sandboxCacheDir());
    new Launcher().launch(r, System.out::println);
    System.out.println("LAUNCHED");
    System.out.flush();
    if (!keep) {
      Thread.sleep(600_000);
    }
  }
}
