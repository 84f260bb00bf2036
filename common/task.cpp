// Names of task kinds, as they appear in messages, logs and result files.
#include "common/task.h"

#include "common/error.h"

namespace fineprune {

const char* to_string(TaskKind kind) {
  switch (kind) {
    case TaskKind::Train: return "train";
    case TaskKind::Curve: return "curve";
    case TaskKind::Finetune: return "finetune";
    case TaskKind::Fineprune: return "fineprune";
  }
  throw Error("to_string: invalid TaskKind " + std::to_string(static_cast<int>(kind)));
}

TaskKind task_kind_from_string(const std::string& text) {
  for (TaskKind k : {TaskKind::Train, TaskKind::Curve, TaskKind::Finetune, TaskKind::Fineprune}) {
    if (text == to_string(k)) return k;
  }
  throw Error("unknown task kind '" + text + "' (known: train, curve, finetune, fineprune)");
}

}  // namespace fineprune
