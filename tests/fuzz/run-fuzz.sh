#!/usr/bin/env bash
# Builds the loader fuzz targets with clang++ and libFuzzer into build-fuzz/ and runs each for a
# bounded number of iterations on seeds it generates itself.
#
#   tests/fuzz/run-fuzz.sh [ITERATIONS [TARGET...]]    default: 2000 runs of every target
#   tests/fuzz/run-fuzz.sh --build-only [TARGET...]
#   tests/fuzz/run-fuzz.sh --run-only [ITERATIONS [TARGET...]]   (what --build-only built)
#   tests/fuzz/run-fuzz.sh --regressions [TARGET...]   (the generated reproducers of past
#       findings, with FINEPRUNE_FUZZ_STRICT=1: fails while a known finding is not fixed)
#
# Exit 0: every target ran its iterations without a finding; 1: a finding (the input is saved
# under <build>/artifacts/, the line to reproduce it is printed) or a build failure; 77: skipped,
# because clang++ or its libFuzzer runtime is missing (Debian: clang, libclang-rt-14-dev).
# Environment: FINEPRUNE_FUZZ_BUILD (build folder, default <repo>/build-fuzz), FINEPRUNE_FUZZ_JOBS
# (build jobs, default nproc), FINEPRUNE_FUZZ_SOURCE (the tree to fuzz, default this checkout),
# FINEPRUNE_FUZZ_FRESH=1 (start from the seeds only, not from the corpus earlier runs grew),
# FUZZ_ARGS (more libFuzzer flags, e.g. "-seed=1" or "-max_total_time=60").
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="${FINEPRUNE_FUZZ_BUILD:-$repo/build-fuzz}"
source_tree="${FINEPRUNE_FUZZ_SOURCE:-$repo}"
jobs="${FINEPRUNE_FUZZ_JOBS:-$(nproc)}"
all_targets=(fuzz_idx fuzz_cifar10 fuzz_hdf5_images fuzz_experiment_spec fuzz_checkpoint
             fuzz_training_state)

build_only=0 run_only=0 regressions=0
iterations=2000
case "${1:-}" in
  --build-only) build_only=1; shift ;;
  --run-only) run_only=1; shift ;;
  --regressions) regressions=1 run_only=1; shift ;;
esac
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then iterations="$1"; shift; fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")

# clang++ and libFuzzer, or skip: a tiny target must compile, link and run.
cxx="${FINEPRUNE_FUZZ_CXX:-clang++}"
cc="${FINEPRUNE_FUZZ_CC:-clang}"
if ! command -v "$cxx" >/dev/null || ! command -v "$cc" >/dev/null; then
  echo "SKIP: $cxx or $cc not found (Debian: apt-get install clang libclang-rt-14-dev)"
  exit 77
fi
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '#include <cstddef>\n#include <cstdint>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n' \
  >"$probe/probe.cpp"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe/probe.cpp" -o "$probe/probe" \
       >"$probe/log" 2>&1 || ! "$probe/probe" -runs=1 >>"$probe/log" 2>&1; then
  echo "SKIP: $cxx cannot build a libFuzzer target with -fsanitize=fuzzer,address,undefined" \
       "(Debian: apt-get install libclang-rt-14-dev):"
  tail -n 5 "$probe/log"
  exit 77
fi

start=$(date +%s)
if [[ $run_only -eq 1 ]]; then
  for t in "${targets[@]}"; do
    [[ -x "$build/$t" ]] || { echo "SKIP: $build/$t is not built (run with --build-only first)"; exit 77; }
  done
else
  mkdir -p "$build"
  cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DFINEPRUNE_ROOT="$source_tree" >"$build/configure.log" 2>&1 \
    || { cat "$build/configure.log"; echo "fuzz: configure failed"; exit 1; }
  nice -n 5 cmake --build "$build" -j "$jobs" --target "${targets[@]}"
  echo "fuzz: built ${targets[*]} in $(( $(date +%s) - start )) s"
fi
[[ $build_only -eq 0 ]] || exit 0

# Limits that make a finding of what a loader must refuse: an allocation of more than 512 MiB
# (a length field believed), more than 3 GiB resident, or 10 s on one input (a hang).
limits=(-rss_limit_mb=3072 -malloc_limit_mb=512 -timeout=10)
export LSAN_OPTIONS="suppressions=$here/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# An impossible allocation returns NULL, as glibc's malloc does outside the sanitizer: libhdf5
# asks for sizes read from damaged metadata (F8, in H5C_protect) and handles the NULL as an error.
export ASAN_OPTIONS="allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
mkdir -p "$build/artifacts"
failed=()

if [[ $regressions -eq 1 ]]; then
  for t in "${targets[@]}"; do
    dir="$build/regressions/$t"
    rm -rf "$dir"
    FINEPRUNE_FUZZ_SEEDS="$dir" "$build/$t" >"$build/$t.regressions.log" 2>&1 \
      || { cat "$build/$t.regressions.log"; failed+=("$t"); continue; }
    cases=("$dir"/regression-*)
    [[ -e "${cases[0]}" ]] || continue
    if FINEPRUNE_FUZZ_STRICT=1 "$build/$t" "${limits[@]}" "${cases[@]}" \
         >"$build/$t.regressions.log" 2>&1; then
      echo "fuzz: $t: ${#cases[@]} regression case(s) pass"
    else
      grep -E "FINDING|ERROR|SUMMARY" "$build/$t.regressions.log" | head -n 5
      echo "fuzz: $t: a regression case fails (log $build/$t.regressions.log)"
      failed+=("$t")
    fi
  done
  targets=()
fi

for t in "${targets[@]}"; do
  seeds="$build/seeds/$t" corpus="$build/corpus/$t" log="$build/$t.log"
  rm -rf "$seeds"
  [[ "${FINEPRUNE_FUZZ_FRESH:-0}" == 0 ]] || rm -rf "$corpus"
  mkdir -p "$corpus"
  FINEPRUNE_FUZZ_SEEDS="$seeds" "$build/$t" >"$log" 2>&1 \
    || { cat "$log"; echo "fuzz: $t could not write its seeds"; failed+=("$t"); continue; }
  extra=()
  [[ "$t" != fuzz_experiment_spec ]] || extra+=(-dict="$here/spec.dict")
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
  if nice -n 5 "$build/$t" -runs="$iterations" "${limits[@]}" "${extra[@]}" -print_final_stats=1 \
       -artifact_prefix="$build/artifacts/$t-" ${FUZZ_ARGS:-} "$corpus" "$seeds" >"$log" 2>&1; then
    # The last of each: in the product-path mode every forked reader that dies prints its own
    # stat lines (libFuzzer's crash handler is inherited), before the run's final ones.
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
    echo "fuzz: $t: ${runs:-?} runs in ${secs:-?} s, ${rate:-?} exec/s, peak RSS ${rss:-?} MB, no finding"
  else
    tail -n 60 "$log"
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    echo "fuzz: $t: FINDING (log $log)"
    [[ -z "$artifact" ]] || echo "fuzz: reproduce with: $build/$t $artifact"
    failed+=("$t")
  fi
done
echo "fuzz: $(( $(date +%s) - start )) s in all"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: findings or errors in: ${failed[*]}"
  exit 1
fi
