// Loading an attack's received model.
#include "workers/experiment/received_model.h"

#include "common/error.h"
#include "workers/attacks/trigger.h"
#include "workers/models/state_dict_layout.h"

namespace fineprune {

BackdooredModel received_backdoored(const ExperimentSpec& spec, const AttackSpec& attack, const SeedData& data,
                                    const LogFn& log) {
  const std::string& path = attack.model_file;
  // What is read is verified: the file is read once, and the bytes hashed are the bytes parsed.
  std::string found;
  const std::vector<NamedTensor> tensors = read_state_dict(path, &found);
  if (found != attack.model_sha256) {
    throw DamagedFileError(path, "its bytes hash to " + found + ", model_sha256 says " + attack.model_sha256 +
                                     " (the file changed since the sweep named it)");
  }
  BackdooredModel out{nullptr, ModelRecipe{spec.model, data.shape, data.num_classes}, {}, 0, {}};
  out.model = out.recipe.make();
  load_state_dict_into(*out.model, tensors, attack.model_layout, path);
  out.model->eval();
  const std::unique_ptr<Trigger> trigger = make_trigger(attack.trigger, data.shape);
  out.eval = make_eval_data(spec, attack, data, *trigger);
  log(attack.name + ": received model " + path + " (sha256 " + found.substr(0, 12) + ", layout " +
      attack.model_layout + "), not trained here");
  return out;
}

}  // namespace fineprune
