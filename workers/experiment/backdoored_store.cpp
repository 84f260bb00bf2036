// Saving and loading trained backdoored models.
#include "workers/experiment/backdoored_store.h"

#include <cmath>
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

std::string save_backdoored(const BackdooredModel& bd, const std::string& dir, const std::string& key) {
  std::filesystem::create_directories(dir);
  const std::string base = base_path(dir, key);
  const std::string sha256 = save_checkpoint(*bd.model, base + ".pt");
  const std::string meta = base + ".meta";
  {
    std::ofstream out(meta + ".tmp");
    out.precision(17);
    out << "train_wall_s " << bd.train_wall_s << "\n" << "decoys";
    for (int64_t c : bd.decoys) out << " " << c;
    out << "\nmodel_sha256 " << sha256 << "\n";
    if (!out) throw IoError(meta, "cannot write model metadata");
  }
  std::error_code ec;
  std::filesystem::rename(meta + ".tmp", meta, ec);
  if (ec) throw IoError(meta, "cannot rename into place: " + ec.message());
  return sha256;
}

bool has_backdoored(const std::string& dir, const std::string& key) {
  const std::string base = base_path(dir, key);
  return std::filesystem::exists(base + ".pt") && std::filesystem::exists(base + ".meta");
}

void discard_backdoored(const std::string& dir, const std::string& key) noexcept {
  const std::string base = base_path(dir, key);
  std::error_code ec;
  std::filesystem::remove(base + ".pt", ec);
  std::filesystem::remove(base + ".meta", ec);
}

SavedModelMeta read_saved_meta(const std::string& meta) {
  SavedModelMeta out;
  // Three lines: "train_wall_s <s>", "decoys <c>...", "model_sha256 <64 hex digits>".
  std::ifstream in(meta);
  if (!in) throw IoError(meta, "cannot open the model's metadata (the .meta next to its .pt)");
  std::string line, word;
  const auto corrupt = [&](const std::string& what) {
    return IoError(meta, "corrupt model metadata: " + what);
  };
  if (!std::getline(in, line)) throw corrupt("empty or unreadable");
  {
    std::istringstream fields(line);
    if (!(fields >> word >> out.train_wall_s) || word != "train_wall_s" || !std::isfinite(out.train_wall_s)) {
      throw corrupt("line 1 is not 'train_wall_s <seconds>'");
    }
  }
  if (!std::getline(in, line)) throw corrupt("no line 2 ('decoys ...')");
  {
    std::istringstream fields(line);
    if (!(fields >> word) || word != "decoys") throw corrupt("line 2 is not 'decoys <channels>'");
    for (int64_t c; fields >> c;) out.decoys.push_back(c);
    if (!fields.eof()) throw corrupt("line 2 holds something other than channel numbers");
  }
  if (!std::getline(in, line)) throw corrupt("no line 3 ('model_sha256 <digest>'): saved by another version?");
  {
    std::istringstream fields(line);
    if (!(fields >> word >> out.sha256) || word != "model_sha256" || out.sha256.size() != 64 ||
        out.sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
      throw corrupt("line 3 is not 'model_sha256 <64 hex digits>'");
    }
  }
  return out;
}

LoadedModel load_backdoored(const ExperimentSpec& spec, const AttackSpec& attack, const SeedData& data,
                            const std::string& dir, const std::string& key) {
  const std::string base = base_path(dir, key);
  const std::string meta = base + ".meta";
  LoadedModel loaded{BackdooredModel{nullptr, ModelRecipe{spec.model, data.shape, data.num_classes}, {}, 0, {}}, ""};
  BackdooredModel& bd = loaded.model;
  SavedModelMeta saved = read_saved_meta(meta);
  bd.train_wall_s = saved.train_wall_s;
  bd.decoys = std::move(saved.decoys);
  loaded.sha256 = saved.sha256;
  const auto corrupt = [&](const std::string& what) {
    return IoError(meta, "corrupt model metadata: " + what);
  };
  bd.model = bd.recipe.make();
  load_checkpoint(*bd.model, base + ".pt", loaded.sha256);
  bd.model->eval();
  const int64_t channels = bd.model->prunable_channels();
  for (int64_t c : bd.decoys) {
    if (c < 0 || c >= channels) throw corrupt("decoy channel " + std::to_string(c) + " is not a channel of the model");
  }
  const std::unique_ptr<Trigger> trigger = make_trigger(attack.trigger, data.shape);
  bd.eval = make_eval_data(spec, attack, data, *trigger);
  return loaded;
}

}  // namespace fineprune
