// Saving and loading trained backdoored models.
#include "workers/experiment/backdoored_store.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "workers/attacks/trigger.h"
#include "workers/models/checkpoint.h"

namespace fineprune {

namespace {

std::string base_path(const std::string& dir, const std::string& key) {
  return (std::filesystem::path(dir) / key).string();
}

}  // namespace

void save_backdoored(const BackdooredModel& bd, const std::string& dir, const std::string& key) {
  std::filesystem::create_directories(dir);
  const std::string base = base_path(dir, key);
  save_checkpoint(*bd.model, base + ".pt");
  const std::string meta = base + ".meta";
  {
    std::ofstream out(meta + ".tmp");
    out.precision(17);
    out << "train_wall_s " << bd.train_wall_s << "\n" << "decoys";
    for (int64_t c : bd.decoys) out << " " << c;
    out << "\n";
    if (!out) throw IoError(meta, "cannot write model metadata");
  }
  std::error_code ec;
  std::filesystem::rename(meta + ".tmp", meta, ec);
  if (ec) throw IoError(meta, "cannot rename into place: " + ec.message());
}

bool has_backdoored(const std::string& dir, const std::string& key) {
  const std::string base = base_path(dir, key);
  return std::filesystem::exists(base + ".pt") && std::filesystem::exists(base + ".meta");
}

BackdooredModel load_backdoored(const ExperimentSpec& spec, const AttackSpec& attack,
                                const SeedData& data, const std::string& dir, const std::string& key) {
  const std::string base = base_path(dir, key);
  BackdooredModel bd{nullptr, ModelRecipe{spec.model, data.shape, data.num_classes}, {}, 0, {}};
  bd.model = bd.recipe.make();
  load_checkpoint(*bd.model, base + ".pt");
  bd.model->eval();
  std::ifstream in(base + ".meta");
  std::string word;
  if (!(in >> word >> bd.train_wall_s) || word != "train_wall_s") {
    throw IoError(base + ".meta", "corrupt model metadata (expected 'train_wall_s <seconds>')");
  }
  std::string line;
  std::getline(in, line);
  if (std::getline(in, line)) {
    std::istringstream decoys(line);
    decoys >> word;
    for (int64_t c; decoys >> c;) bd.decoys.push_back(c);
  }
  const std::unique_ptr<Trigger> trigger = make_trigger(attack.trigger, data.shape);
  bd.eval = make_eval_data(spec, attack, data, *trigger);
  return bd;
}

}  // namespace fineprune
