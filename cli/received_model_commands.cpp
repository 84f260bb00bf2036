// The `defend` and `export` subcommands.
#include "cli/received_model_commands.h"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli/experiment_command.h"
#include "cli/saved_model_lookup.h"
#include "cli/thread_count.h"
#include "common/config.h"
#include "common/error.h"
#include "common/experiment_spec.h"
#include "common/input_files.h"
#include "results/result_tables.h"
#include "workers/data/input_check.h"
#include "workers/experiment/backdoored_store.h"
#include "workers/models/checkpoint.h"
#include "workers/models/state_dict_layout.h"

namespace fineprune {

namespace {

// The spec's model made `arch` (its own settings kept where it already is that architecture),
// as the layout builds it.
ModelSpec received_model_spec(const ExperimentSpec& spec, const DefendOptions& options) {
  if (!spec.models.empty()) {
    throw InputError(options.spec_path + ": models: a received model is one network; give the file a single "
                     "`model:` section (or none) and name the architecture with --arch");
  }
  ModelSpec model = spec.model;
  if (model.name != options.arch) {
    model = ModelSpec{};
    model.name = options.arch;
  }
  const std::vector<std::string>& known = known_models();
  if (std::find(known.begin(), known.end(), options.arch) == known.end()) {
    std::string names;
    for (const std::string& n : known) names += (names.empty() ? "" : ", ") + n;
    throw InputError("--arch: unknown architecture '" + options.arch + "' (" + names + ")");
  }
  return model_for_layout(options.layout, model);
}

}  // namespace

int run_defend_command(const DefendOptions& options) {
  ExperimentSpec spec = load_experiment_spec(options.spec_path);
  if (options.seed >= 0) spec.seeds = {options.seed};
  spec.model = received_model_spec(spec, options);
  const int threads = choose_thread_count(options.threads >= 0 ? options.threads : spec.threads);
  torch::set_num_threads(threads);

  // Up front: the output's place; the file as a state_dict (its own messages, and its digest);
  // then, as for any attack with a received model, the data, triggers and the file against the
  // network (check_inputs).
  check_output_path(options.out_path);
  std::string sha256;
  read_state_dict(options.model_path, &sha256);
  // Every attack of the file measures its trigger on the received model, which nothing trains.
  for (AttackSpec& attack : spec.attacks) {
    if (!attack.model_file.empty() || attack.pruning_aware.enabled) {
      throw InputError(options.spec_path + ": attacks: " + attack.name +
                       " names a model_file or a pruning-aware training; fineprune defend's model is its argument");
    }
    attack.model_file = options.model_path;
    attack.model_sha256 = sha256;
    attack.model_layout = options.layout;
  }
  check_inputs(spec);

  if (!options.quiet) {
    std::cerr << "fineprune " FINEPRUNE_VERSION ": defending " << options.model_path << " (" << spec.model.name
              << ", layout " << options.layout << ", sha256 " << sha256.substr(0, 12) << ")" << std::endl;
  }
  return write_experiment(spec, options.out_path, threads,
                          {{"received_model_file", std::filesystem::absolute(options.model_path).string()},
                           {"received_model_sha256", sha256},
                           {"received_model_arch", spec.model.name},
                           {"received_model_layout", options.layout}},
                          options.quiet);
}

int run_export_command(const ExportOptions& options) {
  const ExperimentSpec spec = load_experiment_spec(options.spec_path);
  check_output_path(options.out_path);
  const SavedModelRef saved =
      find_saved_model(spec, options.spec_path, options.attack, options.model_label, options.seed, options.run_dir);
  const ModelSpec as_layout = model_for_layout(options.layout, saved.spec.model);
  if (as_layout.final_bn != saved.spec.model.final_bn) {
    throw InputError("--layout " + options.layout + ": its network has no BatchNorm after the last stage, this model "
                     "has one (train with model.final_bn: false to export in this layout, or use --layout fineprune)");
  }
  const SeedData data = load_seed_data(spec.data, static_cast<uint64_t>(options.seed));
  BackdooredModel bd = load_backdoored(saved.spec, saved.attack, data, saved.dir, saved.key).model;
  const torch::Tensor example = bd.eval.test.x.slice(0, 0, 1);
  write_state_dict(state_dict_of(*bd.model, options.layout, example), options.out_path);
  std::cerr << "exported " << saved.dir << "/" << saved.key << ".pt (" << saved.spec.model.name << ", attack "
            << options.attack << ", seed " << options.seed << ") as " << options.out_path << " (layout "
            << options.layout << ", sha256 " << file_sha256(options.out_path).substr(0, 12) << ")\n";
  return kExitOk;
}

}  // namespace fineprune
