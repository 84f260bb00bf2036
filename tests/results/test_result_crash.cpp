// Crash tests of the sweep protocol: a child process appends task outcomes and is killed with
// SIGKILL, at random moments and at every n-th write HDF5 makes; after every kill the file must
// reopen (from its snapshot where HDF5 cannot read it) with each done task's rows exactly once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <stdexcept>
#include <thread>

#include "common/error.h"
#include "results/result_tables.h"
#include "tests/results/result_test_support.h"

// HDF5's sec2 driver writes with pwrite(), which this definition interposes (the executable's
// symbol wins over libc's for libhdf5's calls): armed, it SIGKILLs the process at the n-th call,
// which lands a crash between any two writes of a flush, where random kills almost never land.
namespace {
long g_pwrites_until_kill = -1;  // -1: disarmed
long g_pwrites_seen = 0;
}  // namespace

extern "C" ssize_t pwrite(int fd, const void* buffer, size_t count, off_t offset) {
  ++g_pwrites_seen;
  if (g_pwrites_until_kill >= 0 && g_pwrites_until_kill-- == 0) ::kill(::getpid(), SIGKILL);
  return ::syscall(SYS_pwrite64, fd, buffer, count, offset);
}

namespace fineprune {
namespace {

using namespace testing_rows;  // NOLINT: the shared row makers and checks

constexpr int kTasks = 1000000;  // more than any child finishes before it is killed
const char* const kFingerprint = "crash-test-sweep";

// Task i's key: 64 characters, like the SHA-256 hex keys of a real sweep.
std::string task_key(int i) {
  char buffer[kKeyLength];
  std::snprintf(buffer, sizeof buffer, "%064d", i);
  return buffer;
}
int task_index(const std::string& key) { return std::stoi(key); }

int result_count(int i) { return 1 + i % 3; }
int curve_count(int i) { return i % 4; }

// Row j of task i: distinct everywhere, so a row of one task never passes for another's.
ResultRow task_result(int i, int j) {
  ResultRow r = result_row(j);
  r.seed = i;
  r.pruned_channels = j;
  r.key = task_key(i);
  return r;
}
CurveRow task_curve(int i, int j) {
  CurveRow c = curve_row(j);
  c.seed = i;
  c.channels_pruned = j;
  c.key = task_key(i);
  return c;
}

// In even sessions some tasks fail or are blocked; the next session retries them and they end
// done, so the latest-row-wins rule is crossed by the kills too.
void write_outcome(ResultWriter& writer, int i, int session) {
  TaskRow task = task_row(i);
  task.key = task_key(i);
  task.seed = i;
  task.attempts = 1 + session;
  const bool unlucky = session % 2 == 0 && (i % 5 == 2 || i % 11 == 7);
  task.status = !unlucky ? "done" : i % 5 == 2 ? "failed" : "blocked";
  task.error = unlucky ? "worker lost in session " + std::to_string(session) : "";
  std::vector<ResultRow> results;
  std::vector<CurveRow> curves;
  if (!unlucky) {
    for (int j = 0; j < result_count(i); ++j) results.push_back(task_result(i, j));
    for (int j = 0; j < curve_count(i); ++j) curves.push_back(task_curve(i, j));
  }
  writer.append_task_outcome(task, results, curves);
}

// The child: resume the sweep and run every task not done yet, until killed. Writes a byte to
// `ready_fd` (if >= 0) once the file is open.
[[noreturn]] void run_sweep_child(const std::string& file, int session, int ready_fd) {
  int status = 3;
  try {
    auto writer =
        ResultWriter::open_sweep(file, {{"session", std::to_string(session)}}, kFingerprint, false);
    const std::set<std::string> done = writer->done_keys();
    const char byte = 1;
    if (ready_fd >= 0 && ::write(ready_fd, &byte, 1) != 1) {
      throw std::runtime_error("cannot signal the parent");
    }
    for (int i = 0; i < kTasks; ++i) {
      if (done.count(task_key(i)) == 0) write_outcome(*writer, i, session);
    }
    writer->close();
    status = 0;
  } catch (const std::exception& e) {
    std::cerr << "sweep child: " << e.what() << std::endl;
  }
  _exit(status);
}

// Checks every done key has exactly its rows, once each and in order. With `strict`, no other
// rows may be there (a file open_sweep has cleaned); without, rows of keys not done (orphans) are
// allowed but still never twice, and so are rows without a key (HDF5's fill value where a flush
// torn at a new chunk left the table's length but not the chunk). Returns the number of done keys.
size_t check_consistent(const ResultFile& file, bool strict) {
  const std::set<std::string> done = done_task_keys(file.tasks);
  EXPECT_EQ(done.count(""), 0u);
  size_t keyless = 0;
  for (const TaskRow& t : file.tasks) keyless += t.key.empty();
  std::map<std::string, std::vector<int>> result_rows, curve_rows;
  for (const ResultRow& r : file.results) {
    if (r.key.empty()) {
      ++keyless;
      continue;
    }
    const int i = task_index(r.key);
    const int j = static_cast<int>(r.pruned_channels);
    result_rows[r.key].push_back(j);
    if (j >= 0 && j < result_count(i)) {
      SCOPED_TRACE("results row of task " + std::to_string(i));
      expect_same(r, task_result(i, j));
    } else {
      ADD_FAILURE() << "task " << i << " has a results row " << j;
    }
  }
  for (const CurveRow& c : file.curves) {
    if (c.key.empty()) {
      ++keyless;
      continue;
    }
    const int i = task_index(c.key);
    const int j = static_cast<int>(c.channels_pruned);
    curve_rows[c.key].push_back(j);
    if (j >= 0 && j < curve_count(i)) {
      SCOPED_TRACE("curves row of task " + std::to_string(i));
      expect_same(c, task_curve(i, j));
    } else {
      ADD_FAILURE() << "task " << i << " has a curves row " << j;
    }
  }
  EXPECT_TRUE(keyless == 0 || !strict) << keyless << " rows without a key after open_sweep";
  auto sequence = [](int n) {
    std::vector<int> out;
    for (int j = 0; j < n; ++j) out.push_back(j);
    return out;
  };
  for (const std::string& key : done) {
    const int i = task_index(key);
    EXPECT_EQ(result_rows[key], sequence(result_count(i))) << "results rows of done task " << i;
    EXPECT_EQ(curve_rows[key], sequence(curve_count(i))) << "curves rows of done task " << i;
  }
  for (const auto* table : {&result_rows, &curve_rows}) {
    for (const auto& [key, js] : *table) {
      if (done.count(key) != 0) continue;
      EXPECT_FALSE(strict) << "orphan rows of task " << task_index(key) << " after open_sweep";
      const std::set<int> distinct(js.begin(), js.end());
      EXPECT_EQ(distinct.size(), js.size()) << "duplicated orphan rows of task " << task_index(key);
    }
  }
  return done.size();
}

class ResultCrash : public TempDirTest {};

// FINEPRUNE_CRASH_KILLS=N runs N kills instead of 20, for a longer hunt.
TEST_F(ResultCrash, SweepSurvivesSigkillAtRandomMoments) {
  const char* env = std::getenv("FINEPRUNE_CRASH_KILLS");
  const int kills = env != nullptr ? std::atoi(env) : 20;
  const unsigned seed = 20240611;
  std::mt19937 random(seed);
  // Half the kills count from the fork, so they also land in open_sweep (and its rebuild of the
  // file); half count from the moment the file is open, so they land among the appends.
  std::uniform_int_distribution<int> delay_us(0, 20000);
  const std::string file = path("sweep.h5");
  ResultWriter::open_sweep(file, {}, kFingerprint, true)->close();

  size_t done_before = 0;
  int kills_with_orphans = 0, kills_after_finish = 0, torn_files = 0, recoveries = 0;
  size_t orphans_total = 0;
  for (int session = 0; session < kills; ++session) {
    SCOPED_TRACE("session " + std::to_string(session) + " (random seed " + std::to_string(seed) +
                 ")");
    const int delay = delay_us(random);
    const bool from_open = session % 4 >= 2;
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(ready[0]);
      run_sweep_child(file, session, ready[1]);
    }
    ::close(ready[1]);
    char byte = 0;
    if (from_open && ::read(ready[0], &byte, 1) != 1) {
      ADD_FAILURE() << "the child died before opening the file";
    }
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::microseconds(delay));
    kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    if (WIFEXITED(status)) {
      ASSERT_EQ(WEXITSTATUS(status), 0) << "the child failed before it was killed";
      ++kills_after_finish;
    }

    // Every other session leaves the raw file to the next child's open_sweep, so kills also
    // land while a child rebuilds the file without orphans.
    const bool repair = session % 2 == 0;
    size_t done = 0;
    if (repair) {
      std::unique_ptr<ResultWriter> writer;
      try {
        writer = ResultWriter::open_sweep(file, {}, kFingerprint, false);
      } catch (const std::exception& e) {
        FAIL() << "open_sweep after a kill at " << delay << " us: " << e.what();
      }
      orphans_total += writer->orphan_rows_removed();
      if (writer->orphan_rows_removed() > 0) ++kills_with_orphans;
      const std::set<std::string> reported = writer->done_keys();
      writer->close();
      const ResultFile got = read_result_file(file);
      EXPECT_EQ(reported, done_task_keys(got.tasks));
      done = check_consistent(got, true);
    } else {
      ResultFile got;
      try {
        got = read_result_file(file);
      } catch (const IoError&) {
        // Killed inside a flush: HDF5 cannot read the file. The next open_sweep must resume
        // from the snapshot, which the next session checks.
        ++torn_files;
        continue;
      } catch (const DamagedFileError&) {
        // Killed while a chunk was written: its Fletcher-32 checksum says so (without it the
        // chunk would read back as a mix of old and new rows). Resumed the same way.
        ++torn_files;
        continue;
      }
      done = check_consistent(got, false);
    }
    // A resume from the snapshot (by this check or by the child) re-runs the tasks done since
    // it, so only then may fewer tasks be done than at the last check.
    if (fs::exists(file + ".broken")) {
      ++recoveries;
      fs::remove(file + ".broken");
    } else {
      EXPECT_GE(done, done_before) << "a done task was lost";
    }
    done_before = done;
    if (HasFailure()) return;
  }
  // Without progress the kills would all have hit the start-up and tested little.
  EXPECT_GT(done_before, 0u);
  std::cout << kills << " kills: " << done_before << " tasks done, " << kills_with_orphans
            << " repaired kills left orphans (" << orphans_total << " rows), " << torn_files
            << " unreadable files seen, " << recoveries << " resumes from the snapshot, "
            << kills_after_finish << " children finished first\n";
}

// Kill points 0..63 by default: with HDF5 1.10.8 they include the open's attribute flush and
// the first new chunks, where 5 of them leave a file HDF5 cannot read. FINEPRUNE_CRASH_WRITES=N
// tries 0..N-1 (N = 960: 7 such points, about 90 s).
TEST_F(ResultCrash, SweepSurvivesSigkillBetweenAnyTwoHdf5Writes) {
  const std::string file = path("sweep.h5");
  const long seen = g_pwrites_seen;
  {
    // The starting point: 250 tasks done, a few rows short of a new chunk in every table.
    auto writer = ResultWriter::open_sweep(file, {}, kFingerprint, true);
    for (int i = 0; i < 250; ++i) write_outcome(*writer, i, 1);
    writer->snapshot();
  }
  if (g_pwrites_seen == seen) GTEST_SKIP() << "HDF5 does not write through pwrite() here";
  const std::string base = path("base.h5");
  fs::copy_file(file, base);
  fs::copy_file(file + ".snapshot", base + ".snapshot");
  const size_t base_done = done_task_keys(read_result_file(base).tasks).size();

  const char* env = std::getenv("FINEPRUNE_CRASH_WRITES");
  const long last = env != nullptr ? std::atol(env) : 64;
  int with_orphans = 0;
  std::string recoveries;  // the kill points that left a file HDF5 could not read
  for (long n = 0; n < last; ++n) {
    SCOPED_TRACE("killed at write " + std::to_string(n));
    for (const std::string suffix : {"", ".snapshot"}) {
      fs::copy_file(base + suffix, file + suffix, fs::copy_options::overwrite_existing);
    }
    fs::remove(file + ".broken");
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      g_pwrites_until_kill = n;  // counted from open_sweep on: its own flush is fair game too
      run_sweep_child(file, 0, -1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "the child failed";

    std::unique_ptr<ResultWriter> writer;
    try {
      writer = ResultWriter::open_sweep(file, {}, kFingerprint, false);
    } catch (const std::exception& e) {
      FAIL() << "open_sweep: " << e.what();
    }
    if (writer->recovered_from_snapshot()) {
      recoveries += " " + std::to_string(n);
      EXPECT_TRUE(fs::exists(file + ".broken"));
    }
    if (writer->orphan_rows_removed() > 0) ++with_orphans;
    writer->close();
    EXPECT_GE(check_consistent(read_result_file(file), true), base_done);
    if (HasFailure()) return;
  }
  std::cout << "kills at " << last << " write indices: " << with_orphans
            << " left orphan rows; resumed from the snapshot after kills at writes:"
            << (recoveries.empty() ? " none" : recoveries) << "\n";
}

}  // namespace
}  // namespace fineprune
