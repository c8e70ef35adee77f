package dev.kiln.probe;

import dev.kiln.sandbox.BaseRootfs;
import dev.kiln.sandbox.ImageStore;
import dev.kiln.sandbox.Procs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Test-only image maker for when the bake is not usable: runs a rendered bundle's provision.sh
 * (KILN_OFFLINE=1) in an overlay of the sandbox base, as Packer does on the builder, and stores the
 * upper layer as an image. The E2E suite uses the real bake ({@code dev.kiln.bake.Bakery}).
 */
final class TestImages {
  private TestImages() {}

  static final String SCRIPT =
      String.join(
          "\n",
          "set -eu",
          "base=$1; upper=$2; work=$3; merged=$4; bundle=$5",
          "mount -t overlay overlay -o lowerdir=$base,upperdir=$upper,workdir=$work $merged",
          "mount -t proc proc $merged/proc",
          "mount -t tmpfs tmpfs $merged/tmp",
          "mount -t tmpfs tmpfs $merged/run",
          "mount --bind /dev $merged/dev",
          "cp -a $bundle $merged/tmp/kiln-bundle",
          "chroot $merged env KILN_OFFLINE=1 bash /tmp/kiln-bundle/packer/provision.sh /tmp/kiln-bundle",
          "");

  /** Provisions {@code bundleDir} into a new image in {@code cacheDir}'s store; returns its id. */
  static String provision(Path cacheDir, Path bundleDir) throws Exception {
    BaseRootfs base = new BaseRootfs(cacheDir, "debian-12", "bookworm", "admin", List.of());
    base.ensure(System.out::println);
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    md.update(Files.readAllBytes(bundleDir.resolve("manifest.json")));
    String id = "ami-" + HexFormat.of().formatHex(md.digest()).substring(0, 17);
    ImageStore store = new ImageStore(cacheDir);
    if (store.get(id).isPresent()) {
      return id;
    }
    Path work = Files.createTempDirectory(cacheDir, ".testimage-");
    try {
      for (String d : List.of("upper", "work", "merged")) {
        Files.createDirectories(work.resolve(d));
      }
      Procs.Result r =
          Procs.run(
              List.of(
                  "unshare", "--mount", "--propagation", "private", "--", "bash", "-c", SCRIPT, "x",
                  base.dir().toString(), work.resolve("upper").toString(),
                  work.resolve("work").toString(), work.resolve("merged").toString(),
                  bundleDir.toString()),
              Duration.ofMinutes(2),
              Map.of("LC_ALL", "C"));
      if (!r.ok()) {
        throw new IllegalStateException("provision failed:\n" + r.output());
      }
      store.add(
          new ImageStore.Entry(id, "kiln-test-" + id, "us-east-1", "x86_64", "ami-test", base.dir().toString(), Map.of()),
          work.resolve("upper"));
      return id;
    } finally {
      Procs.run(List.of("rm", "-rf", "--one-file-system", work.toString()), Duration.ofMinutes(1), Map.of());
    }
  }
}
