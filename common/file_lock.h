// An exclusive lock that says "this process writes that file": held from acquisition until the
// FileLock is destroyed or the process ends (a crash or SIGKILL releases it too, so a stale lock
// file never blocks a resume). The lock file itself stays; it holds the holder's description,
// for the message another process gets.
//
// Linux open-file-description locks (fcntl F_OFD_SETLK): exclusive between processes and between
// two acquisitions in one process, and honoured over NFS (Linux turns them into POSIX locks on
// the server).
#pragma once

#include <string>

namespace fineprune {

class FileLock {
 public:
  // Locks `lock_path` (created if missing) and writes `holder` into it. Throws InputError
  // "<protected_path>: <what>... (<the holder's description>)" when another holds it, IoError
  // when the lock file cannot be made.
  FileLock(const std::string& lock_path, const std::string& protected_path, const std::string& holder);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// "host h, pid p, Slurm job j, since <UTC time>": who this process is, for a lock's holder text.
std::string this_process_description();

}  // namespace fineprune
