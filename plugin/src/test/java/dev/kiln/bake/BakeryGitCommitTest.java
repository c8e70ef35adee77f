package dev.kiln.bake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.exec.Procs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kiln:git-commit tag: HEAD of the project's repository, nothing outside one. */
class BakeryGitCommitTest {
  @TempDir Path dir;

  @Test
  void headOfARepositoryAndNothingElsewhere() throws Exception {
    assertThat(Bakery.gitCommit(dir)).isEmpty();
    assertThat(Bakery.gitCommit(null)).isEmpty();
    String git = "git -C " + dir + " -c user.name=k -c user.email=k@example.org";
    Procs.check(
        List.of("/bin/sh", "-c", git + " init -q && " + git + " commit -q --allow-empty -m x"),
        Duration.ofSeconds(30));
    String head =
        Procs.check(
                List.of("git", "-C", dir.toString(), "rev-parse", "HEAD"), Duration.ofSeconds(10))
            .output()
            .strip();
    assertThat(Bakery.gitCommit(dir)).contains(head);
  }
}
