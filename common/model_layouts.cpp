// The layout names.
#include "common/model_layouts.h"

namespace fineprune {

const std::vector<std::string>& layout_names() {
  static const std::vector<std::string> names = {"fineprune", "backdoorbench", "sequential"};
  return names;
}

}  // namespace fineprune
