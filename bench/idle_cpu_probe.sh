#!/usr/bin/env bash
# CPU use of every rank while one worker trains and the others have nothing to do: a sweep of one
# attack and one seed (from configs/fmnist-demo.yaml) on 1 master + 7 workers, sampled from /proc
# over seconds 4 to 14 (the training). Idle ranks and the master must not spin.
#
#   bench/idle_cpu_probe.sh          (after ./scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/probe.yaml" <<'PY'
import sys, yaml
d = yaml.safe_load(open("configs/fmnist-demo.yaml"))
d.update(name="idle-probe", seeds=[1], attacks=d["attacks"][:1])
yaml.safe_dump(d, open(sys.argv[1], "w"))
PY
mpirun -np 8 --oversubscribe --bind-to none ./build/cli/fineprune run "$work/probe.yaml" \
  --out "$work/probe.h5" --threads 2 --quiet &
launcher=$!
sleep 4
snapshot() {  # "rank cpu-ticks" for every rank of this run
  for pid in $(pgrep -f "fineprune run $work/probe.yaml"); do
    rank=$(tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
    [[ -n $rank ]] && echo "$rank $(awk '{print $14 + $15}' "/proc/$pid/stat")"
  done | sort
}
snapshot > "$work/before"; sleep 10; snapshot > "$work/after"
join "$work/before" "$work/after" |
  awk -v tick="$(getconf CLK_TCK)" '{printf "rank %s: %.1f%% of a core\n", $1, 100 * ($3 - $2) / tick / 10}'
wait "$launcher"
