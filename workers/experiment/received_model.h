// A model trained elsewhere (an attack's model_file: a PyTorch state_dict), loaded where a sweep or
// an experiment would train one: `fineprune defend`, and sweeps that name received models.
#pragma once

#include "common/experiment_spec.h"
#include "workers/experiment/experiment_runner.h"

namespace fineprune {

// The attack's received model for this seed's data: the file's bytes hashed against
// attack.model_sha256 (DamagedFileError naming the file and both digests otherwise), its tensors
// loaded into spec.model (names and shapes checked: InputError naming the tensor), scored on
// the attack's trigger. No training: train_wall_s 0, no decoys.
BackdooredModel received_backdoored(const ExperimentSpec& spec, const AttackSpec& attack, const SeedData& data,
                                    const LogFn& log);

}  // namespace fineprune
