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

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j "$jobs" >> build.log 2>&1 || { tail -50 build.log; exit 1; }
echo "build: done (log in build.log)"
