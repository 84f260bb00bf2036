// `fineprune experiment <experiment.yaml> --out <results.h5> [--seed N] [--threads N]`:
// one experiment in one process, its results in one HDF5 file.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace fineprune {

struct ExperimentOptions {
  std::string spec_path;
  std::string out_path;
  int64_t seed = -1;     // -1: the spec's seeds
  int64_t threads = -1;  // -1: the spec's `threads` (0 there: all cores)
  bool quiet = false;
};

// Returns the process exit code. The result file is written under a temporary name and renamed
// onto out_path only when the whole experiment has succeeded, so an existing file is never lost.
int run_experiment_command(const ExperimentOptions& options);

struct ExperimentSpec;

// The part after the up-front checks, shared with `fineprune defend`: runs `spec` into a
// temporary file (removed on SIGINT/SIGTERM or failure) renamed onto out_path when complete,
// under out_path's lock, with the usual root attributes plus `attributes`; prints the summary.
int write_experiment(const ExperimentSpec& spec, const std::string& out_path, int threads,
                     const std::map<std::string, std::string>& attributes, bool quiet);

}  // namespace fineprune
