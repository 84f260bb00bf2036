// The tensor-name layouts a received model's file may use (`--layout`, an attack's
// `model_layout`); what each name means is in workers/models/state_dict_layout.h.
#pragma once

#include <string>
#include <vector>

namespace fineprune {

// "fineprune" (its own names, any model), "backdoorbench" (the benchmarks' PreAct-ResNet-18) and
// "sequential" (a plain VGG: nn.Sequential `features` and `classifier`).
const std::vector<std::string>& layout_names();

}  // namespace fineprune
