#!/usr/bin/env bash
# Start-up cost of `sandboxctl exec --profile offline -- /bin/true` against bubblewrap doing
# the same (read-only root, /dev, /proc, no network), measured with hyperfine in one run:
#   user isolation      (after apply, as root) / bwrap    target <= 0.80
#   namespace isolation (nothing applied)      / bwrap    target <= 0.80
# and, for a user who is not root, user isolation through sandboxctl-runner against
# bwrap run by that user (both started through setpriv).
# Beside them, bwrap building the same view as namespace isolation, as the user.
# Prints medians and ratios; asserts nothing. Needs root (apply makes the sandbox user).
# Beside them, two floors: `unshare --net --pid --fork`, and LAUNCH_FLOOR (bench/launch_floor.cc:
# the namespaces, identity switch, Landlock and seccomp of a launch, and nothing else).
# Usage: exec_vs_bwrap.sh SANDBOXCTL LAUNCH_FLOOR [RUNS]
set -euo pipefail
sbx=$(realpath "$1")
floor_bin=$(realpath "$2")
runs=${3:-100}
if [ "$(id -u)" -ne 0 ]; then
  echo "exec_vs_bwrap: needs root (apply creates a user and firewall rules); not run"
  exit 77
fi
for tool in hyperfine bwrap; do
  command -v "$tool" >/dev/null || { echo "exec_vs_bwrap: $tool is missing; run scripts/install-deps"; exit 1; }
done
id=$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
root=$(mktemp -d /var/tmp/sandboxctl-execbench.XXXXXX)
ws=$root/ws
machine=(--state-dir "$root/state" --log-dir "$root/log" --unit-dir "$root/units" --nft-table "sbxbench_$id"
         --tmp-root "$root/tmp" --runner-group "sbxbg-$id" --runner-dir "$root/runner")
# Namespace isolation runs a command as the user sudo was run by, never as root: the
# benchmark plays sudo for a user of its own (SUDO_USER/SUDO_UID, checked against
# /etc/passwd by sandboxctl).
runner=sbxn-$id
cleanup() {
  (cd "$ws" && "$sbx" --machine-profiles "$root/none" destroy --yes "${machine[@]}" >/dev/null 2>&1) || true
  userdel "$runner" 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT
useradd --no-create-home --shell /usr/sbin/nologin "$runner"
chmod 755 "$root"
export SUDO_USER=$runner SUDO_UID
SUDO_UID=$(id -u "$runner")

mkdir -p "$ws/.sandboxctl"
printf 'version = 1\n[identity]\nuser = "sbxb-%s"\n[filesystem]\nwritable = ["${workspace}", "${tmp}"]\n[network]\nmode = "offline"\n' \
  "$id" > "$ws/.sandboxctl/offline.toml"
cd "$ws"
"$sbx" --machine-profiles "$root/none" apply --yes "${machine[@]}" >/dev/null 2>&1
# Namespace isolation runs trusted profiles only (sandboxctl trust).
"$sbx" --machine-profiles "$root/none" trust --trust-store "$root/trust.json" >/dev/null
exec_cmd() {
  echo "$sbx --machine-profiles $root/none exec --profile offline --isolation $1 ${machine[*]} --trust-store $root/trust.json -- /bin/true"
}
for mode in user namespace; do
  $(exec_cmd "$mode") || { echo "exec_vs_bwrap: exec in $mode isolation failed"; exit 1; }
done
# The user apply was run for (SUDO_USER), with the runner group apply gave it.
as_user="setpriv --reuid=$runner --regid=$runner --init-groups"
log_dir=$root/userlog
install -d -o "$runner" "$log_dir"
runner_cmd="$as_user $(exec_cmd user | sed "s|--log-dir $root/log|--log-dir $log_dir|")"
$runner_cmd || { echo "exec_vs_bwrap: exec through the runner failed"; exit 1; }

# bwrap building what namespace isolation's view holds for this profile (exec --verbose
# prints it): in a user namespace of its own, started by root as exec is here, with the
# same private places, covers, binds and namespaces.
bwrap_view="bwrap --unshare-user --unshare-net --unshare-pid --unshare-ipc --die-with-parent --new-session \
  --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --tmpfs /var/tmp --tmpfs /run --remount-ro /run \
  --dir /tmp/offline --tmpfs /var/log --ro-bind /dev/null /etc/shadow --ro-bind /dev/null /etc/gshadow \
  --bind $ws $ws --ro-bind $ws/.sandboxctl $ws/.sandboxctl /bin/true"
$bwrap_view || { echo "exec_vs_bwrap: bwrap with the view failed"; exit 1; }
hyperfine -N --style none --warmup 10 --runs "$runs" --export-csv "$root/times.csv" \
  -n true /bin/true \
  -n floor "unshare --net --pid --fork /bin/true" \
  -n launch-floor "$floor_bin /bin/true" \
  -n bwrap "bwrap --ro-bind / / --dev /dev --proc /proc --unshare-net --die-with-parent /bin/true" \
  -n user "$(exec_cmd user)" \
  -n namespace "$(exec_cmd namespace)" \
  -n bwrap-as-user "$as_user bwrap --ro-bind / / --dev /dev --proc /proc --unshare-net --die-with-parent /bin/true" \
  -n runner "$runner_cmd" \
  -n bwrap-view "$bwrap_view" >/dev/null
median() { awk -F, -v name="$1" '$1 == name { printf "%.6f", $4 }' "$root/times.csv"; }
ms() { echo "$1 * 1000" | bc -l; }
bwrap=$(median bwrap)
printf 'median of %d runs (hyperfine)\n' "$runs"
printf '/bin/true                       %6.2f ms\n' "$(ms "$(median true)")"
printf 'bwrap ... /bin/true             %6.2f ms\n' "$(ms "$bwrap")"
# What any launcher pays for the network and PID namespaces exec makes, and no more.
printf 'unshare --net --pid --fork      %6.2f ms   ratio %.2f (the namespaces alone)\n' "$(ms "$(median floor)")" \
  "$(echo "$(median floor) / $bwrap" | bc -l)"
printf 'launch_floor                    %6.2f ms   ratio %.2f (a launch with nothing else)\n' \
  "$(ms "$(median launch-floor)")" "$(echo "$(median launch-floor) / $bwrap" | bc -l)"
printf 'exec, user isolation            %6.2f ms   ratio %.2f (target <= 0.80)\n' "$(ms "$(median user)")" \
  "$(echo "$(median user) / $bwrap" | bc -l)"
printf 'exec, namespace isolation       %6.2f ms   ratio %.2f (target <= 0.80)\n' "$(ms "$(median namespace)")" \
  "$(echo "$(median namespace) / $bwrap" | bc -l)"
printf 'as the user, bwrap ...           %6.2f ms\n' "$(ms "$(median bwrap-as-user)")"
printf 'as the user, exec via runner     %6.2f ms   ratio %.2f (to bwrap as the user)\n' \
  "$(ms "$(median runner)")" "$(echo "$(median runner) / $(median bwrap-as-user)" | bc -l)"
printf 'bwrap with the same view         %6.2f ms   namespace exec / it: %.2f (the view at equal work)\n' \
  "$(ms "$(median bwrap-view)")" "$(echo "$(median namespace) / $(median bwrap-view)" | bc -l)"
