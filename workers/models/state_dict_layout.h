// Tensor names of public code bases for fineprune's networks (`--layout` of `fineprune defend`
// and `fineprune export`), and loading a state_dict into a network with every name and shape
// checked.
//
// Layouts (docs/RECEIVED-MODELS.md lists every mapping):
//   fineprune      fineprune's own names (Module::named_parameters and named_buffers), any model
//   backdoorbench  the PreAct-ResNet-18 of BackdoorBench and WaNet's code (CIFAR-10 benchmarks):
//                  conv1 (stem), layerS.B.{bn1,conv1,bn2,conv2,shortcut.0}, linear; no BatchNorm
//                  after the last stage, so the model is built with model.final_bn false
//   sequential     a plain VGG written as two nn.Sequential: features (Conv, BatchNorm, ReLU, and
//                  MaxPool where fineprune's vgg pools) and classifier (Linear, ReLU, Linear)
#pragma once

#include <string>
#include <vector>

#include "common/experiment_spec.h"
#include "common/model_layouts.h"
#include "workers/models/model_factory.h"
#include "workers/models/prunable_net.h"
#include "workers/models/state_dict_file.h"

namespace fineprune {

// The model spec a layout's files are built with (backdoorbench: final_bn false). InputError
// naming `--layout` for an unknown layout or one that has no names for this architecture.
ModelSpec model_for_layout(const std::string& layout, ModelSpec model);

// The layout's name for the tensor fineprune calls `ours`; "" where the layout has none (the
// prune mask, which only fineprune's own files may carry).
std::string layout_name(const std::string& layout, const std::string& ours);

// Copies the file's tensors into `model` (built with model_for_layout). Every tensor the model
// has must be in the file with its shape and a floating or integer type that converts
// (the prune mask may be absent: all channels live); every tensor of the file must be one of the
// model's. InputError "<file>: ..." naming the tensor (and the expected and the found shape),
// and then the model is unchanged.
void load_state_dict_into(PrunableNet& model, const std::vector<NamedTensor>& tensors, const std::string& layout,
                          const std::string& file);

// The whole check of a received file before any work: it reads as a state_dict and loads into
// `model` (as model_for_layout builds it) for images of `shape` and `classes` classes, every name
// and shape matching; with `expected_sha256`, its bytes hash to that. InputError naming the file
// (and the tensor, or both digests). Returns the file's tensors.
std::vector<NamedTensor> check_state_dict_file(const std::string& file, const std::string& layout,
                                               const ModelSpec& model, ImageShape shape, int64_t classes,
                                               const std::string& expected_sha256 = "");

// The model's tensors under the layout's names, its prune mask folded into the weights (the
// head's inputs of pruned channels zeroed, PrunableNet::fold_mask_into_head), so that PyTorch's
// network of that layout computes what fineprune's does. `example` is one input batch of the
// model's image shape.
std::vector<NamedTensor> state_dict_of(PrunableNet& model, const std::string& layout, const torch::Tensor& example);

}  // namespace fineprune
