// Harness of the MPI sweep tests: process trees, /proc sampling, temp folders, sweep files.
#include "sweep_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fineprune::mpi_test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// /proc/<pid>/stat fields after the command name (which may hold spaces and parentheses).
std::vector<std::string> stat_fields(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(text.substr(close + 2));
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;  // fields[0] is the state (field 3 of proc(5)), fields[1] the parent pid
}

// Every live descendant of `root` (not root itself).
std::vector<pid_t> descendants(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    const std::vector<std::string> f = stat_fields(pid);
    if (f.size() > 1) children.emplace(static_cast<pid_t>(std::stol(f[1])), pid);
  }
  std::vector<pid_t> out;
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    for (auto [it, end] = children.equal_range(p); it != end; ++it) {
      out.push_back(it->second);
      todo.push_back(it->second);
    }
  }
  return out;
}

// The process of MPI rank 0 among the descendants of `root`, or -1.
pid_t find_rank0(pid_t root) {
  for (pid_t pid : descendants(root)) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
    std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (env.find(std::string("OMPI_COMM_WORLD_RANK=0") + '\0') != std::string::npos) return pid;
  }
  return -1;
}

double cpu_seconds(pid_t pid) {
  const std::vector<std::string> f = stat_fields(pid);
  if (f.size() < 13) return -1;
  // utime and stime are fields 14 and 15 of proc(5), i.e. 11 and 12 after the name.
  return static_cast<double>(std::stoll(f[11]) + std::stoll(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// SIGSTOP everything first so no process reacts to another's death, then SIGKILL all of it.
void kill_tree(pid_t root) {
  std::set<pid_t> all{root};
  for (int round = 0; round < 3; ++round) {  // again, in case one forked meanwhile
    for (pid_t p : descendants(root)) all.insert(p);
    for (pid_t p : all) ::kill(p, SIGSTOP);
  }
  ::kill(-root, SIGKILL);  // root leads its own process group
  for (pid_t p : all) ::kill(p, SIGKILL);
  int status = 0;
  ::waitpid(root, &status, 0);
  // Wait until the orphaned ranks are gone (or zombies), so a next run finds the files free.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  for (pid_t p : all) {
    while (Clock::now() < deadline) {
      const std::vector<std::string> f = stat_fields(p);
      if (f.empty() || f[0] == "Z" || f[0] == "X") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

RunResult launch(const std::vector<std::string>& argv, const std::string& scratch, const RunOptions& options) {
  static std::atomic<int> counter{0};
  const std::string tag = std::to_string(counter++);
  const std::string out_path = scratch + "/stdout." + tag;
  const std::string err_path = scratch + "/stderr." + tag;
  // Open MPI refuses root unless told; harmless otherwise. Never override the caller's choice.
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // Opened here, so the files exist (empty) while the parent polls them.
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in < 0 || out < 0 || err < 0) throw std::runtime_error("harness: cannot open the stream files in " + scratch);
  const auto start = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("harness: fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    ::dup2(in, 0);  // dup2 clears close-on-exec on the copies
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in);
  ::close(out);
  ::close(err);
  ::setpgid(pid, pid);  // also here, so a kill right after fork reaches the group

  RunResult r;
  pid_t rank0 = -1;
  Clock::time_point first_sample, last_sample;
  for (;;) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
      break;
    }
    if (rank0 < 0) {
      rank0 = find_rank0(pid);
      if (rank0 >= 0) first_sample = Clock::now();
    }
    if (rank0 >= 0) {
      const double cpu = cpu_seconds(rank0);
      if (cpu >= 0) {
        r.master_cpu_s = cpu;
        last_sample = Clock::now();
      }
    }
    if (!r.signalled && options.signal_when && options.signal_when(read_bytes(out_path))) {
      ::kill(pid, options.signal);
      r.signalled = true;
    }
    if (options.kill_when && options.kill_when(read_bytes(out_path))) {
      kill_tree(pid);
      r.killed = true;
      break;
    }
    if (std::chrono::duration<double>(Clock::now() - start).count() > options.timeout_s) {
      kill_tree(pid);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  r.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (rank0 >= 0 && r.master_cpu_s >= 0) {
    r.master_wall_s = std::chrono::duration<double>(last_sample - first_sample).count();
  }
  r.out = read_bytes(out_path);
  r.err = read_bytes(err_path);
  return r;
}

}  // namespace

RunResult run_sweep(int ranks, const std::vector<std::string>& args, const std::string& scratch,
                    const RunOptions& options) {
  // No binding: oversubscribed ranks would otherwise be pinned to the same core.
  std::vector<std::string> argv{FINEPRUNE_MPIEXEC, "--oversubscribe", "--bind-to", "none",
                                "-n", std::to_string(ranks), FINEPRUNE_BINARY, "run"};
  argv.insert(argv.end(), args.begin(), args.end());
  return launch(argv, scratch, options);
}

RunResult run_fineprune(const std::vector<std::string>& args, const std::string& scratch) {
  std::vector<std::string> argv{FINEPRUNE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return launch(argv, scratch, RunOptions{});
}

int last_progress_done(const std::string& out) {
  int done = -1;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() != '{' || line.back() != '}') continue;  // incomplete line
    const size_t at = line.find("\"done\":");
    if (at != std::string::npos) done = std::atoi(line.c_str() + at + 7);
  }
  return done;
}

}  // namespace fineprune::mpi_test
