// FileLock: one writer per file, between processes and within one; a killed holder releases it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/file_lock.h"
#include "tests/support/temp_files.h"

namespace fineprune {
namespace {

using test_support::TempDir;

std::string contents(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The InputError's message when `lock_path` is taken, or "" when it could be locked.
std::string refusal(const std::string& lock_path) {
  try {
    FileLock lock(lock_path, "out.h5", "second");
    return "";
  } catch (const InputError& e) {
    return e.what();
  }
}

TEST(FileLock, SecondHolderInOneProcessIsRefusedWithTheFirstOnesDescription) {
  TempDir dir;
  const std::string path = dir.file("out.h5.lock");
  {
    FileLock first(path, "out.h5", "host a, pid 1");
    const std::string message = refusal(path);
    EXPECT_NE(message.find("out.h5: another fineprune run is writing it (host a, pid 1"), std::string::npos) << message;
    EXPECT_NE(message.find("choose another --out"), std::string::npos) << message;
    EXPECT_EQ(contents(path), "host a, pid 1\n");
  }
  EXPECT_EQ(refusal(path), "") << "the lock outlived its holder";
}

TEST(FileLock, AnotherProcessHoldingItRefusesUntilItIsKilled) {
  TempDir dir;
  const std::string path = dir.file("out.h5.lock");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    FileLock held(path, "out.h5", this_process_description());
    const char byte = 1;
    if (write(ready[1], &byte, 1) != 1) _exit(1);
    pause();  // until SIGKILL: no destructor runs
    _exit(0);
  }
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  const std::string message = refusal(path);
  EXPECT_NE(message.find("pid " + std::to_string(child)), std::string::npos) << message;
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_EQ(refusal(path), "") << "a killed holder still blocks the file";
  close(ready[0]);
  close(ready[1]);
}

TEST(FileLock, UnmakeableLockFileIsAnIoError) {
  EXPECT_THROW(FileLock("/nonexistent-folder/out.h5.lock", "out.h5", "x"), IoError);
}

}  // namespace
}  // namespace fineprune
