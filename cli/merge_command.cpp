// `fineprune merge <out.h5> <shards...>`: one result file from the shards of a sweep.
#include <iostream>

#include "cli/slurm_commands.h"
#include "common/error.h"
#include "results/merge.h"

namespace fineprune {

int run_merge_command(const MergeOptions& options) {
  const MergeSummary m = merge_result_files(options.out_path, options.inputs, options.partial);
  if (!options.quiet) {
    std::cout << "merged " << m.inputs << " files into " << options.out_path << ": " << m.done_tasks
              << " tasks done, " << m.other_tasks << " failed or blocked, " << m.results << " results rows, "
              << m.curves << " curve rows";
    if (m.duplicate_keys > 0) std::cout << " (" << m.duplicate_keys << " tasks done in several files: first kept)";
    std::cout << std::endl;
  }
  if (m.other_tasks > 0) {
    std::cerr << "fineprune: note: " << m.other_tasks << " tasks are failed or blocked in every input; "
              << "the `tasks` table says why" << std::endl;
  }
  return kExitOk;
}

}  // namespace fineprune
