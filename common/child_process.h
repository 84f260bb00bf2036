// Runs a piece of work in a forked child process, so that a library crashing on a damaged input
// (libhdf5 1.10 does on some damaged HDF5 files: tests/fuzz/README.md, F8) ends the child, not
// fineprune. The child runs only `work` and leaves with _exit; it never calls MPI.
#pragma once

#include <functional>
#include <string>

#include "common/error.h"

namespace fineprune {

// The child died (a signal, or an exit without an answer) instead of answering.
class ChildDied : public Error {
 public:
  explicit ChildDied(const std::string& what) : Error(what) {}
};

// Runs `work` in a forked child and returns the bytes it returned. An InputError thrown in the
// child is thrown here again as InputError with the same message, any other exception as Error
// with its message. Throws ChildDied naming the signal (e.g. "killed by signal 11 (Segmentation
// fault)") or the exit status when the child ends without answering, and Error when fork or the
// pipe fails.
std::string run_in_child(const std::function<std::string()>& work);

}  // namespace fineprune
