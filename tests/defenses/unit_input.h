// A tiny model and clean set for the defense-step tests, and the step run through the registry
// (workers/defenses/defense_unit.h), as the worker runs it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/experiment_spec.h"
#include "workers/defenses/defense_unit.h"
#include "workers/models/model_factory.h"

namespace fineprune::test {

struct UnitCase {
  ModelRecipe recipe;
  std::shared_ptr<PrunableNet> model;
  TensorSet clean;
  ExperimentSpec spec;
  std::map<std::string, double> settings;

  // `name`'s step on the model with `settings` (none run per pruning setting here: no plan).
  DefenseOutput run(const std::string& name) const {
    const std::function<const PruningPlan&()> no_plan = []() -> const PruningPlan& {
      throw Error("this step asked for a pruning plan");
    };
    const DefenseInput in{spec, settings, *model, recipe, clean, "", 0, 0, no_plan, 1, {}, {}};
    return defense_step(name)(in);
  }
};

// small_cnn on 1x8x8 images, 4 classes, with `widths`; `n` random clean images. Seeded.
inline UnitCase tiny_case(std::vector<int64_t> widths, int64_t n, uint64_t seed = 1) {
  torch::manual_seed(seed);
  ModelSpec m;
  m.name = "small_cnn";
  m.widths = std::move(widths);
  m.hidden = 16;
  UnitCase c{ModelRecipe{m, ImageShape{1, 8, 8}, 4}, nullptr, {}, {}, {}};
  c.model = c.recipe.make();
  c.model->eval();
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  c.clean = {torch::rand({n, 1, 8, 8}, gen), torch::arange(n, torch::kInt64).remainder(4)};
  return c;
}

// Every parameter of `a` equal to `b`'s.
inline bool same_parameters(PrunableNet& a, PrunableNet& b) {
  const auto pa = a.parameters(), pb = b.parameters();
  if (pa.size() != pb.size()) return false;
  for (size_t i = 0; i < pa.size(); ++i) {
    if (!torch::equal(pa[i].contiguous(), pb[i].contiguous())) return false;
  }
  return true;
}

}  // namespace fineprune::test
