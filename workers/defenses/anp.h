// ANP's mask optimisation, exposed for its test (the step itself registers as "anp").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "workers/models/prunable_net.h"
#include "workers/training/tensor_set.h"

namespace fineprune {

// The neurons ANP masks, in module order: every BatchNorm2d's channels where the net has any,
// else every Conv2d's output channels. Each entry's mask values, after `settings`' iterations
// (eps, alpha, iterations, batch_size, lr; catalog anp) on `clean`, drawn with `seed`.
// `model` is used as it is (train mode, BatchNorm statistics drift): pass a copy.
std::vector<torch::Tensor> anp_masks(PrunableNet& model, const TensorSet& clean,
                                     const std::map<std::string, double>& settings, uint64_t seed);

}  // namespace fineprune
