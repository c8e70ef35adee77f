package dev.kiln.sandbox;

import dev.kiln.exec.Procs;
import dev.kiln.spec.KilnException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * A cached Debian base root filesystem for a sandbox recipe, standing in for the official image,
 * and the package repository its builder installs from.
 *
 * <p>The base: {@code debootstrap --variant=minbase} of the recipe's suite, {@code policy-rc.d}
 * exiting 101, {@link #PACKAGES} plus the recipe's {@code sandbox.basePackages}, {@code
 * /etc/hosts}, and the login user with passwordless sudo (as cloud images have). Like an official
 * image built some time ago, it holds the OLDEST version of the recipe's upgrade packages ({@code
 * packages.upgrade}) that the suite, its {@code -updates} and its {@code -security} carry, so that
 * the bake's upgrade has something to do whenever the archive has a newer one.
 *
 * <p>The repository: the recipe's packages ({@code packages.install} and {@code packages.upgrade})
 * with every dependency the base lacks, at the newest version of those three suites, fetched on the
 * host side with apt (which checks them against the archive's signed indexes) and indexed with
 * {@code apt-ftparchive}. The builder sees it read-only at {@link #REPO_MOUNT} with a {@code
 * sources.list} naming only it, so provision.sh runs apt-get update, the upgrade and the installs
 * exactly as on AWS, with no route out of its namespace.
 *
 * <p>Both live under {@code <cacheDir>/base/}: {@code <recipe>-<digest>} and {@code
 * <recipe>-<digest>.repo}, the digest covering this recipe (script, suite, mirrors, packages, login
 * user). They are built in a temporary sibling directory and renamed into place, the base last, so
 * a failed or concurrent build never leaves a half base behind.
 */
public final class BaseRootfs {
  /** Packages every sandbox base gets (the official Debian images have them). */
  public static final List<String> PACKAGES =
      List.of(
          "openssh-server",
          "iproute2",
          "python3",
          "sudo",
          "netbase",
          "procps",
          "curl",
          "ca-certificates");

  /** Where the builder sees the repository (read-only); also its sources.list line. */
  public static final String REPO_MOUNT = "/run/kiln-repo";

  static final String SCRIPT =
      """
      set -eu
      target="$1"; repo="$2"; suite="$3"; user="$4"; mirror="$5"; security="$6"; shift 6
      base_packages=""; while [ "$1" != -- ]; do base_packages="$base_packages $1"; shift; done; shift
      upgrade_packages=""; while [ "$1" != -- ]; do upgrade_packages="$upgrade_packages $1"; shift; done; shift
      debootstrap --variant=minbase "$suite" "$target" "$mirror"
      printf '#!/bin/sh\nexit 101\n' > "$target/usr/sbin/policy-rc.d"
      chmod 0755 "$target/usr/sbin/policy-rc.d"
      printf '127.0.0.1 localhost\n127.0.1.1 kiln-sandbox\n::1 localhost ip6-localhost ip6-loopback\n' > "$target/etc/hosts"
      echo kiln-sandbox > "$target/etc/hostname"
      sources="$target/etc/apt/sources.list"
      cp "$sources" "$repo.sources.orig"
      printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
        "$mirror" "$suite" "$mirror" "$suite" "$security" "$suite" > "$sources"
      apt() { chroot "$target" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get -q "$@"; }
      apt update
      # The suite that holds the oldest version of the first upgrade package: the base takes it
      # from there (-t), as an image built before the newest version was published would have.
      first=${upgrade_packages# }; first=${first%% *}
      oldest=""; oldest_suite="$suite"
      if [ -n "$first" ]; then
        while IFS='|' read -r _ v src; do
          v=$(echo $v); s=$(echo $src | awk '{ split($2, a, "/"); print a[1] }')
          if [ -z "$oldest" ] || dpkg --compare-versions "$v" lt "$oldest"; then oldest=$v; oldest_suite=$s; fi
        done <<EOF_MADISON
      $(chroot "$target" apt-cache madison "$first")
      EOF_MADISON
      fi
      echo "kiln-base: $first $oldest from $oldest_suite"
      # shellcheck disable=SC2086
      apt install -y --no-install-recommends -t "$oldest_suite" $base_packages
      # The repository: what the recipe's packages need beyond the base, at their newest versions.
      apt clean
      # (the upgrade packages are installed at an older version: this fetches their newest)
      apt install -y --no-install-recommends --download-only "$@"
      mkdir -p "$repo"
      find "$target/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec mv -t "$repo" {} +
      (cd "$repo" && apt-ftparchive packages . > Packages)
      chmod -R a+rX "$repo"
      cp "$repo.sources.orig" "$sources"; rm -f "$repo.sources.orig"
      apt clean
      rm -rf "$target"/var/lib/apt/lists/*
      # Host keys are generated per instance, never shipped in the base.
      rm -f "$target"/etc/ssh/ssh_host_*
      chroot "$target" useradd -m -s /bin/bash -G sudo "$user"
      # "*" (no password) rather than "!" (locked): sshd without PAM refuses locked accounts.
      chroot "$target" usermod -p "*" "$user"
      echo "$user ALL=(ALL) NOPASSWD:ALL" > "$target/etc/sudoers.d/90-cloud-init-users"
      chmod 0440 "$target/etc/sudoers.d/90-cloud-init-users"
      install -d -m 0700 -o "$(chroot "$target" id -u "$user")" -g "$(chroot "$target" id -g "$user")" "$target/home/$user/.ssh"
      """;

  private final Path dir;
  private final String suite;
  private final String loginUser;
  private final List<String> basePackages;
  private final List<String> upgradePackages;
  private final List<String> repoPackages;
  private final Mirrors mirrors;

  /** The Debian archive and security archive URLs the base and repository come from. */
  public record Mirrors(String debian, String security) {
    static final Mirrors DEFAULT =
        new Mirrors("http://deb.debian.org/debian", "http://deb.debian.org/debian-security");

    /**
     * The mirrors this machine's apt sources use ({@code /etc/apt/sources.list} and {@code
     * sources.list.d/*.list|*.sources}): the first http(s) URI ending in {@code /debian} and in
     * {@code /debian-security}; Debian's own where none is found.
     */
    public static Mirrors ofMachine(Path aptDir) {
      List<String> uris = new ArrayList<>();
      List<Path> files = new ArrayList<>(List.of(aptDir.resolve("sources.list")));
      try (var s = Files.list(aptDir.resolve("sources.list.d"))) {
        s.sorted().forEach(files::add);
      } catch (IOException e) {
        // no sources.list.d: only sources.list
      }
      for (Path f : files) {
        String name = String.valueOf(f.getFileName());
        if (!Files.isRegularFile(f) || !(name.endsWith(".list") || name.endsWith(".sources"))) {
          continue;
        }
        try {
          for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            for (String tok : line.strip().split("\\s+")) {
              if (tok.matches("https?://[A-Za-z0-9.:/_~-]+")) {
                uris.add(tok.replaceAll("/+$", ""));
              }
            }
          }
        } catch (IOException | java.io.UncheckedIOException e) {
          // unreadable: skipped
        }
      }
      String debian =
          uris.stream().filter(u -> u.endsWith("/debian")).findFirst().orElse(DEFAULT.debian());
      String security =
          uris.stream()
              .filter(u -> u.endsWith("/debian-security"))
              .findFirst()
              .orElse(DEFAULT.security());
      return new Mirrors(debian, security);
    }
  }

  /**
   * A recipe's base and repository, with the mirrors of this machine's apt sources.
   *
   * @param cacheDir the sandbox cache directory
   * @param recipeId e.g. {@code debian-12}
   * @param suite e.g. {@code bookworm} (the recipe's {@code sandbox.suite})
   * @param loginUser the recipe's login user (admin on Debian's cloud images)
   * @param basePackages what the official image has besides {@link #PACKAGES}
   * @param upgradePackages the recipe's {@code packages.upgrade}: the base gets their oldest
   *     version
   * @param repoPackages the recipe's packages: the repository gets them and what they need
   */
  public BaseRootfs(
      Path cacheDir,
      String recipeId,
      String suite,
      String loginUser,
      List<String> basePackages,
      List<String> upgradePackages,
      List<String> repoPackages) {
    this(
        cacheDir,
        recipeId,
        suite,
        loginUser,
        basePackages,
        upgradePackages,
        repoPackages,
        Mirrors.ofMachine(Path.of("/etc/apt")));
  }

  /**
   * The base of a recipe that has no {@code sandbox.basePackages} and upgrades only {@code
   * openssh-server} (debian-12), for callers that hold only its package list.
   */
  public BaseRootfs(
      Path cacheDir, String recipeId, String suite, String loginUser, List<String> repoPackages) {
    this(cacheDir, recipeId, suite, loginUser, List.of(), List.of("openssh-server"), repoPackages);
  }

  BaseRootfs(
      Path cacheDir,
      String recipeId,
      String suite,
      String loginUser,
      List<String> basePackages,
      List<String> upgradePackages,
      List<String> repoPackages,
      Mirrors mirrors) {
    if (!suite.matches("[a-z]+")) {
      throw new IllegalArgumentException("not a Debian suite: " + suite);
    }
    this.suite = suite;
    this.loginUser = loginUser;
    TreeSet<String> base = new TreeSet<>(PACKAGES);
    base.addAll(basePackages);
    this.basePackages = List.copyOf(base);
    this.upgradePackages = List.copyOf(new TreeSet<>(upgradePackages));
    this.repoPackages = List.copyOf(new TreeSet<>(repoPackages));
    this.mirrors = mirrors;
    this.dir = cacheDir.resolve("base").resolve(recipeId + "-" + digest().substring(0, 16));
  }

  /** The digest of this base's recipe: script, suite, mirrors, packages and login user. */
  public String digest() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String s :
          List.of(
              SCRIPT,
              suite,
              mirrors.debian(),
              mirrors.security(),
              loginUser,
              String.join(" ", basePackages),
              String.join(" ", upgradePackages),
              String.join(" ", repoPackages))) {
        md.update(s.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The repository directory (a flat apt repository: the .deb files and {@code Packages}). */
  public Path repo() {
    return dir.resolveSibling(dir.getFileName() + ".repo");
  }

  /** The sources.list that names only the repository, as mounted at {@link #REPO_MOUNT}. */
  public static String repoSourcesList() {
    // trusted=yes: the repository is unsigned; apt checked every file against the archive's
    // signed indexes when it fetched them on the host side.
    return "deb [trusted=yes] file:" + REPO_MOUNT + " ./\n";
  }

  public Path dir() {
    return dir;
  }

  public String loginUser() {
    return loginUser;
  }

  public boolean exists() {
    return Files.isRegularFile(dir.resolve(".kiln-base-complete"))
        && Files.isRegularFile(repo().resolve("Packages"));
  }

  /** Returns the base directory, building it first when it is not cached. */
  public Path ensure(Consumer<String> log) throws KilnException {
    if (exists()) {
      return dir;
    }
    for (String tool : List.of("debootstrap", "apt-ftparchive")) {
      if (Procs.which(tool, List.of(Path.of("/usr/sbin"), Path.of("/usr/bin"))) == null) {
        throw new KilnException(
            "sandbox.cacheDir",
            "the sandbox needs "
                + tool
                + " to build its Debian base once; install it with"
                + " 'apt-get install -y debootstrap apt-utils' (or run bash .ci/setup)",
            List.of(),
            null);
      }
    }
    Path parent = Objects.requireNonNull(dir.getParent(), "a base lies in <cacheDir>/base");
    Path tmp;
    try {
      Files.createDirectories(parent);
      tmp = Files.createTempDirectory(parent, ".tmp-" + dir.getFileName() + "-");
    } catch (IOException e) {
      throw new KilnException("cannot create " + parent + ": " + e.getMessage(), e);
    }
    log.accept(
        "Building the sandbox base "
            + dir.getFileName()
            + " ("
            + suite
            + " from "
            + mirrors.debian()
            + ") and its package repository with debootstrap and apt (once)");
    Path tmpRepo = tmp.resolveSibling(tmp.getFileName() + ".repo");
    try {
      List<String> cmd = new ArrayList<>(List.of("bash", "-c", SCRIPT, "kiln-base"));
      cmd.addAll(
          List.of(
              tmp.toString(),
              tmpRepo.toString(),
              suite,
              loginUser,
              mirrors.debian(),
              mirrors.security()));
      cmd.addAll(basePackages);
      cmd.add("--");
      cmd.addAll(upgradePackages);
      cmd.add("--");
      cmd.addAll(repoPackages);
      String out = Procs.check(cmd, Duration.ofMinutes(20)).output();
      out.lines().filter(l -> l.startsWith("kiln-base:")).forEach(log);
      Files.writeString(tmp.resolve(".kiln-base-complete"), digest() + "\n");
      Files2.deleteTree(repo());
      Files.move(tmpRepo, repo(), StandardCopyOption.ATOMIC_MOVE);
      try {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException | java.nio.file.FileAlreadyExistsException e) {
        if (!exists()) {
          throw e;
        }
        // another run finished first: keep theirs
      } catch (IOException e) {
        if (!exists()) {
          throw e;
        }
      }
      return dir;
    } catch (IOException e) {
      throw new KilnException("cannot build the sandbox base: " + e.getMessage(), e);
    } finally {
      Files2.deleteTree(tmp);
      Files2.deleteTree(tmpRepo);
    }
  }

  /** Environment for tools run inside a chroot of the base. */
  static Map<String, String> chrootEnv() {
    return Map.of("LC_ALL", "C");
  }
}
