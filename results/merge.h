// `fineprune merge`: combines the result files of one sweep (the shards of a job array, or runs
// of parts of it) into one file, as if one run had written it. No torch.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace fineprune {

struct MergeSummary {
  size_t inputs = 0;
  size_t done_tasks = 0;     // keys done in some input
  size_t other_tasks = 0;    // keys failed or blocked in every input that has them
  size_t duplicate_keys = 0; // keys done in more than one input (the first input's rows kept)
  size_t results = 0;        // rows written
  size_t curves = 0;
};

// Writes `out` from `inputs`, deduplicated by task key:
//  - a key done in some input gets its `tasks` row and its `results` and `curves` rows from the
//    first such input (argument order); rows of the same key elsewhere are dropped;
//  - a key done nowhere keeps its latest `tasks` row (the last input that has one wins);
//  - rows keep input order, then file order. Attributes are the first input's, less "shard",
//    plus "merged_from" (the input paths, one per line); "sweep_fingerprint" is kept, so
//    `fineprune run` can resume the merged file like one it wrote.
// Refuses (InputError naming the file): no inputs; `out` already existing or listed as an input
// (nothing is overwritten); an input that is not a result file of this schema; an input without
// a sweep fingerprint or with another one than the first input's (shards of different sweeps),
// or of another fineprune version; shard files of splits into different numbers of shards; and,
// unless `partial`, a set of shard files ("shard" attribute I/K) missing some of the K shards.
// The file is built at out + ".merge.tmp" and renamed, so a failure leaves no partial `out`.
MergeSummary merge_result_files(const std::string& out, const std::vector<std::string>& inputs,
                                bool partial = false);

}  // namespace fineprune
