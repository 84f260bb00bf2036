#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for the `slurm` tests: munge key, sockets, state, spool
# and logs all in one folder; no systemd; daemons stopped by the PIDs in their pid files.
#
#   local-cluster.sh install               install slurm-wlm and munge where missing (apt, as root)
#   local-cluster.sh start DIR [CTLD_PORT SLURMD_PORT [OWNER_PID]]
#                                          writes DIR/slurm.conf, starts munged, slurmctld and
#                                          slurmd, waits until the node is idle; then
#                                          `export SLURM_CONF=DIR/slurm.conf` for the clients.
#                                          With OWNER_PID, a watchdog stops the daemons once that
#                                          process is gone (a test killed by its time limit)
#   local-cluster.sh stop DIR              stops the daemons started in DIR and waits for them
#
# Exit codes: 0 done, 1 failure (the logs in DIR say why), 77 Slurm is missing and cannot be
# installed, or this is not root (the daemons run as root here): a test may skip on that.
# The node declares 4 CPUs whatever the machine has (SlurmdParameters=config_overrides), so jobs
# of a master and a few worker ranks fit on a 2-core machine; they then share its cores.
set -euo pipefail

need_packages=(slurm-wlm munge)
# Slurm's daemons run as root here: SlurmUser root, and munged refuses nothing as root.

install_missing() {
  local missing=()
  for p in "${need_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "local-cluster: ${missing[*]} missing and not root: cannot install" >&2
    return 77
  fi
  echo "local-cluster: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Installing would start the system's own munged, slurmctld and slurmd where an init system
  # runs services; a policy-rc.d that refuses (101) keeps them stopped, for the install only.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 0755 "$policy" && added_policy=1
  fi
  local ok=1
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >&2 || ok=0
  [[ $added_policy -eq 1 ]] && rm -f "$policy"
  if [[ $ok -eq 0 ]]; then
    echo "local-cluster: apt-get could not install ${missing[*]}" >&2
    return 77
  fi
}

# Stops DIR's daemons once process $2 is gone; detached from the caller's output.
start_watchdog() {
  local dir=$1 owner=$2 self
  self=$(realpath "$0")
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; bash "$2" stop "$3"' \
    watchdog "$owner" "$self" "$dir" </dev/null >>"$dir/log/watchdog.log" 2>&1 &
}

# Waits up to $2 seconds for process $1 to exit.
wait_gone() {
  local pid=$1 limit=$(( $2 * 10 ))
  for (( i = 0; i < limit; ++i )); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

stop_pidfile() {
  local file=$1
  [[ -s $file ]] || return 0
  local pid
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" 20 || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" 5 || true; }
  fi
  rm -f "$file"
}

start() {
  local dir ctld_port=${2:-6817} slurmd_port=${3:-6818} owner=${4:-}
  dir=$(realpath "$1")
  if [[ $(id -u) -ne 0 ]]; then
    echo "local-cluster: the test cluster's daemons run as root; this is $(id -un)" >&2
    return 77
  fi
  command -v slurmctld >/dev/null && command -v munged >/dev/null || install_missing
  mkdir -p "$dir"/{state,spool,log,munge}
  # munged refuses a socket in a folder others cannot enter; the rest stays private.
  mkdir -p "$dir/munge-socket"
  chmod 0700 "$dir/munge"
  chmod 0755 "$dir" "$dir/munge-socket"
  local socket=$dir/munge-socket/munge.socket
  [[ -s $dir/munge/munge.key ]] || mungekey -c -k "$dir/munge/munge.key"
  chmod 0600 "$dir/munge/munge.key"
  munged --key-file="$dir/munge/munge.key" --socket="$socket" --pid-file="$dir/munge/munged.pid" \
         --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"

  local host node_line
  host=$(hostname)
  # Sockets=1 CoresPerSocket=... as slurmd sees them, but 4 CPUs declared (config_overrides).
  local mem
  mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
  node_line="NodeName=$host CPUs=4 Sockets=1 CoresPerSocket=4 ThreadsPerCore=1 RealMemory=$mem State=UNKNOWN"
  cat > "$dir/slurm.conf" <<CONF
# One-node test cluster written by slurm/testing/local-cluster.sh
ClusterName=fineprune-test
SlurmctldHost=$host
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire: how long slurmd refuses a requeued job's id (default 120 s; Slurm also holds a
# requeued job that long): short here, so the preemption test's requeued job starts within seconds.
AuthInfo=socket=$socket,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AcctGatherEnergyType=acct_gather_energy/none
ReturnToService=2
MailProg=/bin/true
MpiDefault=none
JobRequeue=1
MinJobAge=600
SchedulerType=sched/backfill
$node_line
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  [[ -n $owner ]] && start_watchdog "$dir" "$owner"
  for (( i = 0; i < 300; ++i )); do
    local state
    state=$(sinfo -h -o %T 2>/dev/null || true)
    [[ $state == idle ]] && { echo "local-cluster: node $host idle (SLURM_CONF=$SLURM_CONF)" >&2; return 0; }
    sleep 0.1
  done
  echo "local-cluster: the node did not become idle; logs in $dir/log" >&2
  return 1
}

stop() {
  local dir
  dir=$(realpath "$1")
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  stop_pidfile "$dir/munge/munged.pid"
}

case "${1:-}" in
  install) install_missing ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 install | start DIR [CTLD_PORT SLURMD_PORT] | stop DIR" >&2; exit 2 ;;
esac
