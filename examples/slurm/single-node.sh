#!/usr/bin/env bash
# A real Slurm cluster on this one machine (munge, slurmctld, slurmd; one node, one partition),
# to try examples/slurm/array.sbatch and for tests/slurm.rs. CI starts it in .ci/run.
#
#   examples/slurm/single-node.sh start    # install if missing (root + apt-get), configure, start;
#                                          # returns once `sinfo` shows the node idle
#   examples/slurm/single-node.sh status   # the daemons this script started, and `sinfo`
#   examples/slurm/single-node.sh stop     # cancels the cluster's jobs, stops only the daemons
#                                          # this script started (by the PIDs it recorded)
#
# `start` is idempotent: daemons it started that still run are left alone. It needs root: it
# writes /etc/slurm/slurm.conf (an existing one it did not write is kept as
# slurm.conf.before-comity), creates the munge key if there is none, and the daemons run as root.
# The PIDs go to /run/comity-slurm/ ($COMITY_SLURM_STATE). A test cluster, not a production one.
# docs/cluster.md says how CI uses it.
set -euo pipefail

STATE=${COMITY_SLURM_STATE:-/run/comity-slurm}
PACKAGES=(slurmctld slurmd slurm-client munge)
CONF=/etc/slurm/slurm.conf
MARK="# written by comity examples/slurm/single-node.sh"

say() { echo "single-node.sh: $*"; }
die() {
  echo "single-node.sh: error: $*" >&2
  exit 1
}

# alive NAME PID: PID runs the program NAME (a PID reused by another program does not count).
alive() { [ -n "$2" ] && [ "$(cat "/proc/$2/comm" 2>/dev/null)" = "$1" ]; }
recorded() { cat "$STATE/$1.pid" 2>/dev/null || true; }
ours() { alive "$1" "$(recorded "$1")"; }
responsive() { timeout 15 sinfo -h -o %T 2>/dev/null | head -n1 || true; }

install_if_missing() {
  if [ -x /usr/sbin/munged ] && [ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] &&
    command -v sinfo >/dev/null && command -v sbatch >/dev/null; then
    return
  fi
  command -v apt-get >/dev/null ||
    die "Slurm is not installed and there is no apt-get: install munge, slurmctld, slurmd and the Slurm client commands (sinfo, sbatch) with this system's package manager"
  say "installing ${PACKAGES[*]}"
  local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${PACKAGES[@]}")
  # Without package lists (a fresh machine) the install fails: update them once and retry.
  "${install[@]}" >/dev/null || { apt-get update -qq && "${install[@]}" >/dev/null; } ||
    die "apt-get could not install ${PACKAGES[*]} (its messages are above)"
}

configure() {
  mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
  [ -f /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge
  chmod 400 /etc/munge/munge.key
  local host cpus total mem
  host=$(hostname -s)
  cpus=$(nproc)
  total=$(free -m | awk '/Mem:/{print $2}')
  mem=$((total > 2048 ? total - 1024 : total / 2)) # leave the system 1 GiB
  if [ -f "$CONF" ] && ! grep -qxF "$MARK" "$CONF" && [ ! -e "$CONF.before-comity" ]; then
    cp -p "$CONF" "$CONF.before-comity"
    say "kept the existing $CONF as $CONF.before-comity"
  fi
  cat >"$CONF" <<EOF
$MARK
ClusterName=local
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmUser=root
SlurmdUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

# start_daemon NAME PIDFILE COMMAND...: runs COMMAND (which forks a daemon that writes PIDFILE)
# unless our NAME still runs, then records the daemon's PID.
start_daemon() {
  local name=$1 pidfile=$2 pid
  shift 2
  if ours "$name"; then
    say "$name already running (pid $(recorded "$name"))"
    return
  fi
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if alive "$name" "$pid"; then
    if [ "$name" = munged ]; then # any munged with this key will do; it is not ours to stop
      say "using the munged that is already running (pid $pid; stop will leave it)"
      return
    fi
    die "a $name this script did not start is running (pid $pid): stop it first, or use that cluster"
  fi
  rm -f "$pidfile"
  "$@" || die "$name did not start (command: $*; log under /var/log/slurm or /var/log/munge)"
  for _ in $(seq 50); do
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if alive "$name" "$pid"; then
      echo "$pid" >"$STATE/$name.pid"
      say "started $name (pid $pid)"
      return
    fi
    sleep 0.2
  done
  die "$name exited or wrote no PID to $pidfile (its log is under /var/log/slurm or /var/log/munge)"
}

start() {
  [ "$(id -u)" = 0 ] || die "starting the cluster needs root (it installs packages, writes /etc/slurm and runs the daemons as root)"
  install_if_missing
  mkdir -p "$STATE"
  if ours slurmctld && ours slurmd; then
    say "already running"
  else
    configure
  fi
  start_daemon munged /run/munge/munged.pid /usr/sbin/munged --force # --force: root-owned log dir
  start_daemon slurmctld /run/slurmctld.pid /usr/sbin/slurmctld -i   # -i: ignore stale state
  start_daemon slurmd /run/slurmd.pid /usr/sbin/slurmd
  local state="" host
  host=$(hostname -s)
  for i in $(seq 60); do
    state=$(responsive)
    [ "$state" = idle ] && break
    # A node left down or drained by an earlier run comes back on request.
    if [ "$i" = 10 ] && [[ $state == down* || $state == drain* ]]; then
      scontrol update NodeName="$host" State=RESUME || true
    fi
    sleep 1
  done
  if [ "$state" != idle ]; then
    timeout 15 sinfo || true
    tail -n 5 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log 2>/dev/null || true
    die "the node is not idle after 60 s (state: ${state:-no answer}); stop it with: $0 stop"
  fi
  timeout 15 sinfo
}

stop() {
  [ "$(id -u)" = 0 ] || die "stopping the cluster needs root"
  local name pid jobs
  if ours slurmctld; then
    # The cluster's jobs would outlive slurmd in their slurmstepd processes: cancel them first.
    jobs=$(timeout 15 squeue -h -o %A 2>/dev/null || true)
    if [ -n "$jobs" ]; then
      say "cancelling jobs $(echo $jobs)"
      # shellcheck disable=SC2086
      scancel $jobs || true
      for _ in $(seq 30); do
        [ -z "$(timeout 15 squeue -h -o %A 2>/dev/null || true)" ] && break
        sleep 1
      done
    fi
  fi
  for name in slurmd slurmctld munged; do
    pid=$(recorded "$name")
    if alive "$name" "$pid"; then
      kill "$pid"
      for _ in $(seq 50); do
        alive "$name" "$pid" || break
        sleep 0.2
      done
      if alive "$name" "$pid"; then
        kill -9 "$pid"
        say "$name (pid $pid) did not stop within 10 s: killed"
      else
        say "stopped $name (pid $pid)"
      fi
    fi
    rm -f "$STATE/$name.pid"
  done
}

status() {
  local name pid up=0
  for name in munged slurmctld slurmd; do
    pid=$(recorded "$name")
    if alive "$name" "$pid"; then
      echo "$name: running (pid $pid)"
    else
      echo "$name: not running${pid:+ (recorded pid $pid is gone)}"
      [ "$name" = munged ] || up=1
    fi
  done
  timeout 15 sinfo || up=1
  return $up
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
  echo "usage: $0 start|stop|status" >&2
  exit 2
  ;;
esac
