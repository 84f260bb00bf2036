// The exception types of fineprune: one root, a few kinds that decide the exit code.
//
// Errors the user can fix (a bad config, a missing or corrupt data file) are InputError and map
// to exit code 2; I/O failures while writing results and broken invariants are Error (exit 1).
// Messages always name the file and, where one applies, the key path or byte offset.
#pragma once

#include <stdexcept>
#include <string>

namespace fineprune {

// Root of every error fineprune throws on purpose.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Something the user gave us is wrong: config, data file, command line. Exit code 2.
class InputError : public Error {
 public:
  explicit InputError(const std::string& what) : Error(what) {}
};

// A config file (YAML) is malformed or holds a bad value. The message is
// "<file>: <key.path>: <problem>".
class ConfigError : public InputError {
 public:
  ConfigError(const std::string& file, const std::string& key_path, const std::string& problem)
      : InputError(file + ": " + key_path + ": " + problem) {}
};

// A data file (images, labels, trigger image) is missing, truncated or of the wrong shape.
// The message is "<file>: <problem>".
class DataError : public InputError {
 public:
  DataError(const std::string& file, const std::string& problem)
      : InputError(file + ": " + problem) {}
};

// A file of ours whose bytes no longer match the checksum stored with them (bit rot, a partial
// copy, an edit): a result table failing HDF5's Fletcher-32 check, a saved model failing its
// SHA-256. Exit code 2: the message names the file and the damaged part; nothing in it is used.
class DamagedFileError : public InputError {
 public:
  DamagedFileError(const std::string& file, const std::string& problem) : InputError(file + ": " + problem) {}
};

// Reading or writing a file of ours failed (results, checkpoints). Exit code 1.
class IoError : public Error {
 public:
  IoError(const std::string& file, const std::string& problem) : Error(file + ": " + problem) {}
};

// A task stopped at a safe point because a stop was requested (common/stop_request.h): its state
// so far is saved, and it continues from there when it runs again. Not a failure.
class TaskInterrupted : public Error {
 public:
  explicit TaskInterrupted(const std::string& what) : Error(what) {}
};

// Exit codes of the fineprune command.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitBadInput = 2;
constexpr int kExitInterrupted = 3;  // stopped by SIGUSR1/SIGTERM; run the same command again to resume

}  // namespace fineprune
