// The metrics of PAPER.md: validation accuracy, clean accuracy, attack success rate and robust
// accuracy, from one model's predictions.
#pragma once

#include "workers/attacks/poisoning.h"
#include "workers/models/prunable_net.h"
#include "workers/parallel/parallel_context.h"
#include "workers/training/tensor_set.h"

namespace fineprune {

// The three sets every defense is scored on.
struct EvalData {
  TensorSet validation;    // the defender's clean data (pruning's stopping rule uses only this)
  TensorSet test;          // clean test set
  TriggeredSet triggered;  // the test set with the trigger
  bool asr_counts_all = false;  // false: ASR over non-target images only (BackdoorBench)
};

struct Metrics {
  double val_acc = 0;
  double clean_acc = 0;
  double asr = 0;         // triggered images classified as the attacker's label
  double robust_acc = 0;  // triggered non-target images classified as their true label
};

Metrics metrics_from_predictions(const EvalData& data, const torch::Tensor& val_pred,
                                 const torch::Tensor& test_pred, const torch::Tensor& trig_pred);

// With a worker group, every rank calls it and each predicts its shard (parallel_context.h).
Metrics evaluate(PrunableNet& model, const EvalData& data, const ParallelContext& parallel = {});

}  // namespace fineprune
