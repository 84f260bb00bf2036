// The launch check of `fineprune run` under Slurm: MPI's world size must be the number of tasks
// Slurm started. The classic mistake (plain `srun fineprune run` without --mpi=pmix, or a binary
// started N times by hand) gives N separate single-rank worlds, each believing it is rank 0.
// No MPI here: the caller passes the world size and the environment.
#pragma once

#include <optional>
#include <string>

namespace fineprune {

// The ranks the launcher should have started: FINEPRUNE_EXPECTED_RANKS when set (the generated
// batch script sets it; "0" turns the check off), else SLURM_NTASKS when set; nullopt when
// neither is set (not under Slurm) or the check is off. Throws InputError naming the variable when
// its value is not a whole number.
std::optional<int> expected_ranks(const char* fineprune_expected_ranks, const char* slurm_ntasks);

// The error message when `world_size` differs from `expected` (naming where `expected` came
// from and how to launch correctly); nullopt when they agree.
std::optional<std::string> launch_mismatch(int world_size, int expected, const std::string& source);

// Reads the environment and combines the two: the message to print (and exit 2), or nullopt.
std::optional<std::string> check_slurm_launch(int world_size);

}  // namespace fineprune
