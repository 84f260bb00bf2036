// The tiny sweep file shared by the MPI and Slurm tests.
#include "tiny_sweep.h"

#include <stdexcept>

#include "tests/support/temp_files.h"

namespace fineprune::mpi_test {

std::string tiny_sweep_yaml(const std::string& seeds) {
  return "# fineprune tests: a tiny real sweep\n"
         "name: tiny\n"
         "data:\n"
         "  dir: " + std::string(test_support::kFashionMnistDir) + "\n"
         "  validation_size: 300\n"
         "  train_subset: 3000\n"
         "  test_subset: 300\n"
         "model: {name: small_cnn, widths: [8, 16, 16], hidden: 32}\n"
         "training: {epochs: 3, batch_size: 32, lr: 0.02}\n"  // learns: clean accuracy ~0.7
         "finetune: {epochs: 1, batch_size: 64, lr: 0.01}\n"
         "attacks:\n"
         "  - name: badnets\n"
         "    trigger: {type: patch, size: 3}\n"
         "  - name: blended\n"
         "    trigger: {type: blend, alpha: 0.2}\n"
         "pruning: {rates: [0.5]}\n"
         "seeds: " + seeds + "\n";
}

std::string with_replaced(std::string yaml, const std::string& from, const std::string& to) {
  const size_t at = yaml.find(from);
  if (at == std::string::npos) throw std::logic_error("tiny sweep: no '" + from + "' to replace");
  return yaml.replace(at, from.size(), to);
}

}  // namespace fineprune::mpi_test
