package dev.kiln.sandbox;

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
 * A cached Debian base root filesystem for sandbox recipes: {@code debootstrap --variant=minbase},
 * {@code policy-rc.d} exiting 101 before packages, the sandbox package set, {@code /etc/hosts}, and
 * the recipe's login user with passwordless sudo (as cloud images have).
 *
 * <p>It lives under {@code <cacheDir>/base/<recipe>-<digest>} where the digest covers this recipe
 * (script, suite, packages, login user). It is built in a temporary sibling directory and renamed
 * into place, so a failed or concurrent build never leaves a half base behind.
 */
public final class BaseRootfs {
  /** Packages every sandbox base gets. */
  public static final List<String> PACKAGES =
      List.of(
          "openssh-server",
          "fail2ban",
          "nftables",
          "iproute2",
          "python3",
          "sudo",
          "netbase",
          "curl",
          "ca-certificates");

  static final String SCRIPT =
      """
      set -eu
      target="$1"; suite="$2"; user="$3"; mirror="$4"; shift 4
      debootstrap --variant=minbase "$suite" "$target" "$mirror"
      printf '#!/bin/sh\\nexit 101\\n' > "$target/usr/sbin/policy-rc.d"
      chmod 0755 "$target/usr/sbin/policy-rc.d"
      printf '127.0.0.1 localhost\\n127.0.1.1 kiln-sandbox\\n::1 localhost ip6-localhost ip6-loopback\\n' > "$target/etc/hosts"
      echo kiln-sandbox > "$target/etc/hostname"
      chroot "$target" env DEBIAN_FRONTEND=noninteractive apt-get -q update
      chroot "$target" env DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends "$@"
      chroot "$target" apt-get clean
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
  private final List<String> packages;
  private final String mirror;

  /**
   * @param cacheDir the sandbox cache directory
   * @param recipeId e.g. {@code debian-12}
   * @param suite e.g. {@code bookworm}
   * @param loginUser the recipe's login user (admin on Debian's cloud images)
   * @param extraPackages packages the recipe needs besides {@link #PACKAGES}
   */
  public BaseRootfs(
      Path cacheDir, String recipeId, String suite, String loginUser, List<String> extraPackages) {
    this.suite = suite;
    this.loginUser = loginUser;
    TreeSet<String> all = new TreeSet<>(PACKAGES);
    all.addAll(extraPackages);
    this.packages = List.copyOf(all);
    this.mirror = "http://deb.debian.org/debian";
    this.dir = cacheDir.resolve("base").resolve(recipeId + "-" + digest().substring(0, 16));
  }

  /** The digest of this base's recipe: script, suite, mirror, packages and login user. */
  public String digest() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String s : List.of(SCRIPT, suite, mirror, loginUser, String.join(" ", packages))) {
        md.update(s.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public Path dir() {
    return dir;
  }

  public String loginUser() {
    return loginUser;
  }

  public boolean exists() {
    return Files.isRegularFile(dir.resolve(".kiln-base-complete"));
  }

  /** Returns the base directory, building it first when it is not cached. */
  public Path ensure(Consumer<String> log) throws KilnException {
    if (exists()) {
      return dir;
    }
    if (Procs.which("debootstrap", List.of(Path.of("/usr/sbin"), Path.of("/sbin"))) == null) {
      throw new KilnException(
          "sandbox.cacheDir",
          "the sandbox needs debootstrap to build its Debian base once; install it with"
              + " 'apt-get install -y debootstrap'",
          List.of(),
          null);
    }
    Path parent = Objects.requireNonNull(dir.getParent(), "a base lies in <cacheDir>/base");
    Path tmp;
    try {
      Files.createDirectories(parent);
      tmp = Files.createTempDirectory(parent, ".tmp-" + dir.getFileName() + "-");
    } catch (IOException e) {
      throw new KilnException("cannot create " + parent + ": " + e.getMessage(), e);
    }
    log.accept("Building the sandbox base " + dir.getFileName() + " with debootstrap (once)");
    try {
      List<String> cmd = new ArrayList<>(List.of("bash", "-c", SCRIPT, "kiln-base"));
      cmd.addAll(List.of(tmp.toString(), suite, loginUser, mirror));
      cmd.addAll(packages);
      Procs.check(cmd, Duration.ofMinutes(20));
      Files.writeString(tmp.resolve(".kiln-base-complete"), digest() + "\n");
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
    }
  }

  /** Environment for tools run inside a chroot of the base. */
  static Map<String, String> chrootEnv() {
    return Map.of("LC_ALL", "C");
  }
}
