// Shared pieces of the data-parallel tests: a small synthetic image set, models built from a
// fixed seed, and a model's parameters and buffers as one flat vector.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "workers/models/prunable_net.h"
#include "workers/training/tensor_set.h"

namespace fineprune::parallel_test {

// n images of 1x28x28 in [0, 1] and labels in [0, 10), the same for a given seed on every rank.
// The label depends on the image (its brightest quarter), so training makes progress.
TensorSet synthetic_set(int64_t n, uint64_t seed);

// A fresh model with weights drawn from `seed`: "small_cnn" (widths 8 16 16, hidden 32) or "vgg"
// (BatchNorm after every conv; widths 8 16 16, hidden 32).
std::shared_ptr<PrunableNet> seeded_model(const std::string& name, uint64_t seed);

// Every parameter (and, with buffers, every buffer) flattened into one float64 CPU vector.
torch::Tensor flat_state(PrunableNet& model, bool with_buffers = false);

}  // namespace fineprune::parallel_test
