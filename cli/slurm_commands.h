// `fineprune slurm` (write, and optionally submit, the sbatch script of a sweep) and
// `fineprune merge` (combine the result files of a job array's shards).
#pragma once

#include <string>
#include <vector>

#include "slurm/batch_script.h"

namespace fineprune {

struct SlurmOptions {
  std::string spec_path;
  std::string out_path;   // default: <sweep name>.h5 (the merged file of an array)
  std::string run_dir;    // default: <out without .h5>.run; the script goes there
  BatchOptions batch;     // the resource and launch flags (the rest is filled in from the sweep)
  bool submit = false;    // run sbatch and print the job id
  bool force = false;     // replace a different script of the same name (the old one kept as .old)
};

// Returns the exit code; throws InputError (exit 2) naming the flag or file on bad input.
int run_slurm_command(SlurmOptions options);

struct MergeOptions {
  std::string out_path;
  std::vector<std::string> inputs;
  bool quiet = false;
  bool partial = false;  // merge even when some shards of the split are missing
};

int run_merge_command(const MergeOptions& options);

}  // namespace fineprune
