// Names of task kinds, as they appear in messages, logs and result files.
#include "common/task.h"

#include "common/defense_catalog.h"
#include "common/error.h"

namespace fineprune {

const char* to_string(TaskKind kind) {
  switch (kind) {
    case TaskKind::Train: return "train";
    case TaskKind::Curve: return "curve";
    case TaskKind::Defend: return "defend";
  }
  throw Error("to_string: invalid TaskKind " + std::to_string(static_cast<int>(kind)));
}

std::string task_kind_name(const Task& task) {
  return task.kind == TaskKind::Defend ? task.defense : to_string(task.kind);
}

void set_task_kind_name(Task& task, const std::string& name) {
  task.defense.clear();
  if (name == "train") {
    task.kind = TaskKind::Train;
  } else if (name == "curve") {
    task.kind = TaskKind::Curve;
  } else {
    const DefenseInfo* d = find_defense(name);
    if (d == nullptr || d->tasks == DefenseTasks::Curve) {
      std::string known = "train, curve";
      for (const DefenseInfo& info : defense_catalog()) {
        if (info.tasks != DefenseTasks::Curve) known += ", " + info.name;
      }
      throw Error("unknown task kind '" + name + "' (known: " + known + ")");
    }
    task.kind = TaskKind::Defend;
    task.defense = name;
  }
}

}  // namespace fineprune
