// The Slurm launch check (contract in launch_check.h).
#include "slurm/launch_check.h"

#include <cstdlib>

#include "common/error.h"

namespace fineprune {

namespace {

int whole_number(const char* name, const char* value) {
  const std::string text(value);
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
    throw InputError(std::string("environment variable ") + name + "=" + text + ": not a whole number");
  }
  return std::stoi(text);
}

std::string expected_source(const char* fineprune_expected_ranks) {
  return fineprune_expected_ranks != nullptr ? "FINEPRUNE_EXPECTED_RANKS" : "SLURM_NTASKS";
}

}  // namespace

std::optional<int> expected_ranks(const char* fineprune_expected_ranks, const char* slurm_ntasks) {
  if (fineprune_expected_ranks != nullptr) {
    const int n = whole_number("FINEPRUNE_EXPECTED_RANKS", fineprune_expected_ranks);
    if (n == 0) return std::nullopt;
    return n;
  }
  if (slurm_ntasks != nullptr) return whole_number("SLURM_NTASKS", slurm_ntasks);
  return std::nullopt;
}

std::optional<std::string> launch_mismatch(int world_size, int expected, const std::string& source) {
  if (world_size == expected) return std::nullopt;
  std::string message = source + "=" + std::to_string(expected) + " but MPI's world size is " +
                        std::to_string(world_size) + ": ";
  if (world_size == 1) {
    message += "the processes did not join one MPI job (each is \"rank 0 of 1\"); launch with "
               "`srun --mpi=pmix` (Slurm's PMIx plugin) or `mpirun` inside the allocation";
  } else {
    message += "launch as many ranks as the allocation has tasks (srun --mpi=pmix with no -n, or "
               "mpirun -np $SLURM_NTASKS)";
  }
  return message + "; FINEPRUNE_EXPECTED_RANKS=0 turns this check off";
}

std::optional<std::string> check_slurm_launch(int world_size) {
  const char* mine = std::getenv("FINEPRUNE_EXPECTED_RANKS");
  const std::optional<int> expected = expected_ranks(mine, std::getenv("SLURM_NTASKS"));
  if (!expected) return std::nullopt;
  return launch_mismatch(world_size, *expected, expected_source(mine));
}

}  // namespace fineprune
