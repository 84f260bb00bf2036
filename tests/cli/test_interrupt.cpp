// An interrupted `fineprune experiment` (SIGTERM, SIGINT) removes its temporary result file and
// leaves an existing output as it was.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli_harness.h"

namespace fineprune::e2e {
namespace {

class Interrupt : public ::testing::TestWithParam<int> {};

TEST_P(Interrupt, RemovesTheTemporaryFileAndKeepsTheOldOutput) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "no Fashion-MNIST";
  TempDir dir;
  write_text(dir.file("exp.yaml"), tiny_experiment_yaml());
  write_text(dir.file("out.h5"), "old results");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    freopen("/dev/null", "w", stderr);
    freopen("/dev/null", "w", stdout);
    execl(FINEPRUNE_BINARY, FINEPRUNE_BINARY, "experiment", dir.file("exp.yaml").c_str(), "--out",
          dir.file("out.h5").c_str(), "--threads", "1", static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait until the temporary file exists (the run is under way: it is made before any
  // training), then interrupt. Up to a minute: a loaded CI machine starts LibTorch slowly.
  bool started = false;
  for (int i = 0; i < 2400 && !started; ++i) {
    for (const std::string& name : list_dir(dir.path())) started |= name.find(".tmp") != std::string::npos;
    if (started) break;
    int early = 0;
    ASSERT_EQ(waitpid(child, &early, WNOHANG), 0) << "the run ended before it made its temporary file";
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_TRUE(started) << "the run never created its temporary file";
  kill(child, GetParam());
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 128 + GetParam());
  EXPECT_EQ(read_bytes(dir.file("out.h5")), "old results");
  // The output's lock file stays (released with the process), the temporary file does not.
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"exp.yaml", "out.h5", "out.h5.lock"}));
}

INSTANTIATE_TEST_SUITE_P(Signals, Interrupt, ::testing::Values(SIGTERM, SIGINT));

}  // namespace
}  // namespace fineprune::e2e
