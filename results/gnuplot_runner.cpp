// Starting gnuplot as a child process (no shell: file names are passed as they are).
#include "results/gnuplot_runner.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "common/error.h"

namespace fineprune {

namespace {

constexpr const char* kInstallHint =
    "install the Debian package gnuplot-nox (scripts/install-deps.sh does), or point "
    "FINEPRUNE_GNUPLOT at a gnuplot with the pngcairo terminal";

// Exit status of `program args...` with stdout and stderr sent to `log_path`; 127 when the
// program could not be started.
int run_program(const std::string& program, const std::vector<std::string>& args,
                const std::string& log_path) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw Error("cannot start " + program + ": fork: " + std::strerror(errno));
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::close(fd);
    }
    const int null_in = ::open("/dev/null", O_RDONLY);
    if (null_in >= 0) ::dup2(null_in, STDIN_FILENO);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error("waiting for " + program + ": " + std::strerror(errno));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string read_log(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  constexpr size_t kMax = 2000;
  if (s.size() > kMax) s = "..." + s.substr(s.size() - kMax);
  return s;
}

}  // namespace

std::string gnuplot_program() {
  const char* env = std::getenv("FINEPRUNE_GNUPLOT");
  return env != nullptr && *env != 0 ? env : "gnuplot";
}

void check_gnuplot() {
  const std::string program = gnuplot_program();
  std::string log = (std::filesystem::temp_directory_path() / "fineprune_gnuplot_check_XXXXXX").string();
  const int fd = ::mkstemp(log.data());
  if (fd < 0) throw Error(std::string("cannot make a temporary file: ") + std::strerror(errno));
  ::close(fd);
  // `set terminal pngcairo` fails in gnuplot builds without it.
  const int code = run_program(program, {"-e", "set terminal pngcairo"}, log);
  const std::string messages = read_log(log);
  ::unlink(log.c_str());
  if (code == 127) throw Error("--plot: cannot run '" + program + "': not found; " + kInstallHint);
  if (code != 0) {
    throw Error("--plot: '" + program + "' has no pngcairo terminal (" + messages + "); " + kInstallHint);
  }
}

void run_gnuplot(const std::string& script_path, const std::string& log_path) {
  const std::string program = gnuplot_program();
  const int code = run_program(program, {script_path}, log_path);
  if (code == 127) throw Error("--plot: cannot run '" + program + "': not found; " + kInstallHint);
  if (code != 0) {
    throw Error("--plot: " + program + " failed on " + script_path + " (exit " + std::to_string(code) +
                "): " + read_log(log_path));
  }
}

}  // namespace fineprune
