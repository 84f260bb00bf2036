// Slurm's time-limit syntax (sbatch --time), parsed so the batch script can place its warning
// signal ahead of the limit.
#pragma once

#include <string>

namespace fineprune {

// Seconds in a Slurm time limit: "M", "M:S", "H:M:S", "D-H", "D-H:M", "D-H:M:S" (Slurm's forms;
// fields are whole numbers). Throws InputError "<flag> <text>: ..." on anything else, on 0 and
// on "infinite"/"unlimited" (no warning signal can be placed before no limit).
long parse_time_limit(const std::string& text, const std::string& flag);

}  // namespace fineprune
