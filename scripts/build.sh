#!/usr/bin/env bash
# Installs missing Debian packages, then configures and builds fineprune into build/ (Release).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

# ccache and the precompiled torch header work together only with these settings.
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
# Paths relative to the checkout, so that clones in other folders share the cache.
export CCACHE_BASEDIR="$PWD"
jobs=$(nproc)
# A torch translation unit needs about 1.3 GB to compile: cap the jobs by memory as well.
mem_jobs=$(( $(awk '/MemAvailable/ {print $2}' /proc/meminfo) / 1600000 ))
(( mem_jobs < 1 )) && mem_jobs=1
(( jobs > mem_jobs )) && jobs=$mem_jobs

# Progress on the terminal (a first build takes about 10 minutes on 2 cores): a line each time
# the build is 10% further, or a minute has passed with progress; the full output in build.log.
show_progress() {
  local start=$SECONDS last=-10 shown=$SECONDS line
  while IFS= read -r line; do
    [[ $line =~ ^\[\ *([0-9]+)%\] ]] || continue
    local p=$((10#${BASH_REMATCH[1]}))
    if (( p >= last + 10 || (p > last && SECONDS - shown >= 60) )); then
      echo "build: ${p}% after $((SECONDS - start)) s"
      last=$p shown=$SECONDS
    fi
  done
}

echo "build: configuring and building into build/ with $jobs jobs (log in build.log)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build.log 2>&1 || { cat build.log; exit 1; }
set +e
cmake --build build -j "$jobs" 2>&1 | tee -a build.log | show_progress
status=${PIPESTATUS[0]}
set -e
(( status == 0 )) || { tail -50 build.log; exit 1; }
echo "build: done (log in build.log)"
