// Synthetic data and seeded models for the data-parallel tests.
#include "tests/parallel/parallel_fixtures.h"

#include <vector>

#include "common/experiment_spec.h"
#include "workers/models/model_factory.h"

namespace fineprune::parallel_test {

TensorSet synthetic_set(int64_t n, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  TensorSet set;
  set.x = torch::rand({n, 1, 28, 28}, gen);
  // Brightest quadrant (0..3) plus 4 when the image's mean is above 0.5 gives 8 learnable classes.
  const torch::Tensor quadrants = set.x.view({n, 1, 2, 14, 2, 14}).sum({1, 3, 5}).view({n, 4});
  set.y = quadrants.argmax(1) + 4 * (set.x.mean({1, 2, 3}) > 0.5).to(torch::kInt64);
  return set;
}

std::shared_ptr<PrunableNet> seeded_model(const std::string& name, uint64_t seed) {
  ModelSpec spec;
  spec.name = name;
  spec.widths = {8, 16, 16};
  spec.hidden = 32;
  torch::manual_seed(seed);
  return make_model(spec, {1, 28, 28}, 10);
}

torch::Tensor flat_state(PrunableNet& model, bool with_buffers) {
  std::vector<torch::Tensor> parts;
  for (const torch::Tensor& p : model.parameters()) parts.push_back(p.detach().cpu().reshape(-1).to(torch::kFloat64));
  if (with_buffers) {
    for (const torch::Tensor& b : model.buffers()) parts.push_back(b.detach().cpu().reshape(-1).to(torch::kFloat64));
  }
  return torch::cat(parts);
}

}  // namespace fineprune::parallel_test
