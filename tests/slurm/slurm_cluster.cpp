// Harness of the `slurm` tests (see slurm_cluster.h).
#include "slurm_cluster.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <sstream>
#include <thread>

namespace fineprune::slurm_test {

namespace {

const std::string kClusterScript = std::string(FINEPRUNE_SOURCE_DIR) + "/slurm/testing/local-cluster.sh";

// A TCP port nobody listens on now (the kernel's choice for port 0).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

bool final_state(const std::string& state) {
  static const std::set<std::string> running{"PENDING", "RUNNING", "REQUEUED", "CONFIGURING", "COMPLETING",
                                             "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SUSPENDED", "STOPPED",
                                             "SIGNALING", "STAGE_OUT", ""};
  return running.count(state) == 0;
}

}  // namespace

Shell sh(const std::string& command) {
  Shell r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) r.out.append(buffer, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

Cluster::Cluster() : dir_("fineprune_slurm") {
  const Shell install = sh("bash '" + kClusterScript + "' install");
  if (install.exit_code == 77) {
    skip_ = "Slurm (slurm-wlm, munge) is missing and could not be installed:\n" + install.out;
    return;
  }
  const int ctld = free_port(), slurmd = free_port();
  // This process's pid: if CTest kills it at its time limit, a watchdog stops the daemons.
  const Shell start = sh("bash '" + kClusterScript + "' start '" + dir_.path() + "' " + std::to_string(ctld) + " " +
                         std::to_string(slurmd) + " " + std::to_string(::getpid()));
  started_ = true;  // whatever started is stopped by the destructor
  if (start.exit_code == 77) {
    skip_ = "the local test cluster cannot start here:\n" + start.out;
    return;
  }
  if (start.exit_code != 0) {
    error_ = "local-cluster.sh start failed (exit " + std::to_string(start.exit_code) + "):\n" + start.out +
             sh("tail -n 30 '" + dir_.path() + "'/log/*.log").out;
    return;
  }
  ::setenv("SLURM_CONF", (dir_.path() + "/slurm.conf").c_str(), 1);
  // Jobs inherit this environment (sbatch --export=ALL): mpirun refuses root without these.
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 0);
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 0);
}

std::string Cluster::log_tail() const {
  return sh("for f in '" + dir_.path() + "'/log/slurmctld.log '" + dir_.path() +
            "'/log/slurmd.log; do echo \"== $f\"; tail -n 25 \"$f\"; done").out;
}

Cluster::~Cluster() {
  if (!started_) return;
  if (error_.empty()) {
    sh("scancel --full --user=\"$(id -un)\"");
    wait_for([] { return sh("squeue -h").out.empty(); }, 30);
  }
  sh("bash '" + kClusterScript + "' stop '" + dir_.path() + "'");
}

std::vector<JobFields> job_info(const std::string& job_id) {
  std::vector<JobFields> jobs;
  const Shell r = sh("scontrol show job -o " + job_id);
  if (r.exit_code != 0) return jobs;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    JobFields fields;
    std::istringstream words(line);
    for (std::string word; words >> word;) {
      const size_t eq = word.find('=');
      if (eq != std::string::npos) fields.emplace(word.substr(0, eq), word.substr(eq + 1));
    }
    if (fields.count("JobState") != 0) jobs.push_back(fields);
  }
  return jobs;
}

bool wait_for(const std::function<bool()>& done, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::vector<JobFields> wait_job(const std::string& job_id, double timeout_s) {
  std::vector<JobFields> jobs;
  wait_for(
      [&] {
        jobs = job_info(job_id);
        bool all_final = !jobs.empty();
        for (const JobFields& j : jobs) {
          const std::string& state = j.at("JobState");
          all_final = all_final && final_state(state);
        }
        return all_final;
      },
      timeout_s);
  return jobs;
}

int last_progress_done(const std::string& text) {
  int done = -1;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() != '{' || line.back() != '}') continue;
    const size_t at = line.find("\"done\":");
    if (at != std::string::npos) done = std::atoi(line.c_str() + at + 7);
  }
  return done;
}

}  // namespace fineprune::slurm_test
