// FileLock: an fcntl open-file-description lock on a small text file.
#include "common/file_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "common/error.h"

namespace fineprune {

namespace {

std::string read_all(int fd) {
  std::string text;
  char buf[512];
  ssize_t n = 0;
  off_t offset = 0;
  while ((n = ::pread(fd, buf, sizeof buf, offset)) > 0) {
    text.append(buf, static_cast<size_t>(n));
    offset += n;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace

FileLock::FileLock(const std::string& lock_path, const std::string& protected_path, const std::string& holder) {
  fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError(lock_path, std::string("cannot open the lock file: ") + std::strerror(errno));
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;  // l_start 0, l_len 0: the whole file
  if (::fcntl(fd_, F_OFD_SETLK, &lock) != 0) {
    const int error = errno;
    const std::string other = read_all(fd_);
    ::close(fd_);
    fd_ = -1;
    if (error == EAGAIN || error == EACCES) {
      throw InputError(protected_path + ": another fineprune run is writing it (" +
                       (other.empty() ? std::string("holder unknown") : other) + ", lock file " + lock_path +
                       "); wait until it ends, or choose another --out");
    }
    throw IoError(lock_path, std::string("cannot lock: ") + std::strerror(error));
  }
  const std::string text = holder + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    // The lock holds without its description; another run's message is only less helpful.
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

std::string this_process_description() {
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "unknown-host");
  std::string text = "host " + std::string(host) + ", pid " + std::to_string(::getpid());
  if (const char* job = std::getenv("SLURM_JOB_ID")) text += std::string(", Slurm job ") + job;
  const std::time_t now = std::time(nullptr);
  char when[32] = {0};
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return text + ", since " + when;
}

}  // namespace fineprune
