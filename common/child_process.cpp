// run_in_child: fork, run, send the answer back through a pipe (child_process.h).
#include "common/child_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>

namespace fineprune {
namespace {

// The first byte of the child's answer says what the rest is.
constexpr char kAnswer = 'A';      // work's return value
constexpr char kInputError = 'I';  // an InputError's message
constexpr char kOtherError = 'E';  // any other exception's message

void write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent went away: nothing left to tell
    done += static_cast<size_t>(n);
  }
}

[[noreturn]] void child_main(int fd, const std::function<std::string()>& work) {
  std::string message;
  try {
    message = kAnswer + work();
  } catch (const InputError& e) {
    message = kInputError + std::string(e.what());
  } catch (const std::exception& e) {
    message = kOtherError + std::string(e.what());
  } catch (...) {
    message = kOtherError + std::string("unknown exception");
  }
  write_all(fd, message);
  ::close(fd);
  ::_exit(0);  // no atexit handlers, no static destructors: the parent still owns those
}

std::string read_all(int fd) {
  std::string bytes;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  return bytes;
}

}  // namespace

std::string run_in_child(const std::function<std::string()>& work) {
  int fds[2];
  if (::pipe(fds) != 0) throw Error(std::string("run_in_child: pipe failed: ") + std::strerror(errno));
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw Error(std::string("run_in_child: fork failed: ") + std::strerror(err));
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(fds[1], work);
  }
  ::close(fds[1]);
  const std::string bytes = read_all(fds[0]);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw Error(std::string("run_in_child: waitpid failed: ") + std::strerror(errno));
  }
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::strsignal(sig);
    throw ChildDied("killed by signal " + std::to_string(sig) + " (" + (name ? name : "unknown") + ")");
  }
  if (bytes.empty() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw ChildDied("ended with exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                    " without an answer");
  }
  const std::string rest = bytes.substr(1);
  switch (bytes[0]) {
    case kAnswer: return rest;
    case kInputError: throw InputError(rest);
    case kOtherError: throw Error(rest);
    default: throw ChildDied("answered with an unknown tag");
  }
}

}  // namespace fineprune
