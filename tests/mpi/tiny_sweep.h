// The tiny real sweep of the MPI and Slurm tests: 2 attacks x `seeds`, a [8,16,16] CNN on a
// Fashion-MNIST subset, defenses none/prune/finetune/fineprune, stop point plus rate 0.5. With
// seeds [1, 2]: 20 tasks (4 train), 24 results rows. Seconds to run.
#pragma once

#include <string>

namespace fineprune::mpi_test {

std::string tiny_sweep_yaml(const std::string& seeds = "[1, 2]");
constexpr int kTinyLastConvWidth = 16;  // channels the pruning curve walks through

// `yaml` with its one occurrence of `from` replaced by `to`; throws if `from` is not in it, so a
// change to the tiny sweep cannot silently leave a test's variant unchanged.
std::string with_replaced(std::string yaml, const std::string& from, const std::string& to);

}  // namespace fineprune::mpi_test
