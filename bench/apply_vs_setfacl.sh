#!/usr/bin/env bash
# apply against setfacl on the same tree, in one run (the targets of the apply issue):
#   first apply        / setfacl -R -m u:<user>:rwX      (entries absent)   target <= 0.5
#   converged re-apply / the same setfacl run again      (entries present)  target <= 0.5
# The tree: FILES files in DIRS directories (default 100,000 in 1,000). Needs root; prints
# both times and ratios (medians of ROUNDS rounds, default 3), asserts only that the second
# apply leaves nothing to do. Usage: apply_vs_setfacl.sh SANDBOXCTL [FILES DIRS]
set -euo pipefail
sbx=$(realpath "$1")
files=${2:-100000}
dirs=${3:-1000}
if [ "$(id -u)" -ne 0 ]; then
  echo "apply_vs_setfacl: needs root (creates a user and ACL entries); not run"
  exit 77
fi
id=$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
root=$(mktemp -d /var/tmp/sandboxctl-bench.XXXXXX)
ws=$root/ws
user=sbxb-$id
ref=sbxr-$id
# Its own state, log, boot unit, runner group and runner directory: nothing of the machine's.
place=(--state-dir "$root/state" --log-dir "$root/log" --unit-dir "$root/units" --runner-group "sbxbg-$id"
       --runner-dir "$root/runner")
opts=(--machine-profiles '' apply --yes "${place[@]}")
cleanup() {
  (cd "$ws" && "$sbx" --machine-profiles '' destroy --yes "${place[@]}" >/dev/null 2>&1) || true
  userdel "$ref" 2>/dev/null || true
  rm -rf "$root"
}
trap cleanup EXIT

mkdir -p "$ws/.sandboxctl"
per_dir=$((files / dirs))
for ((d = 0; d < dirs; d++)); do
  p="$ws/d$((d / 100))/s$d"
  mkdir -p "$p"
  for ((f = 0; f < per_dir; f++)); do : > "$p/f$f"; done
done
printf 'version = 1\n[identity]\nuser = "%s"\n[filesystem]\nwritable = ["${workspace}"]\n[network]\nmode = "online"\n' \
  "$user" > "$ws/.sandboxctl/bench.toml"
useradd --system --no-create-home "$ref"

now() { date +%s.%N; }
# Runs "$@" and prints its wall time in seconds; its output goes to $root/out.
timed() {
  local t0 t1
  sync
  t0=$(now)
  "$@" >"$root/out" 2>&1 || { echo "apply_vs_setfacl: '$*' failed: $(cat "$root/out")" >&2; return 1; }
  t1=$(now)
  echo "$t1 - $t0" | bc -l
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# Rounds alternate between the two tools on the same tree; each figure is the median of
# its rounds, so one slow moment of the machine does not decide a ratio.
rounds=${ROUNDS:-3}
sf1=() sf2=() ap1=() ap2=()
cd "$ws"
for ((r = 0; r < rounds; r++)); do
  sf1+=("$(timed setfacl -R -m "u:$ref:rwX" "$ws")")
  sf2+=("$(timed setfacl -R -m "u:$ref:rwX" "$ws")")
  setfacl -R -b "$ws"
  ap1+=("$(timed "$sbx" "${opts[@]}")")
  ap2+=("$(timed "$sbx" "${opts[@]}")")
  [ "$(cat "$root/out")" = "No changes." ] || { echo "apply_vs_setfacl: the second apply changed something:"; cat "$root/out"; exit 1; }
  "$sbx" --machine-profiles '' destroy --yes "${place[@]}" \
    >/dev/null 2>&1
done
setfacl_first=$(median "${sf1[@]}")
setfacl_again=$(median "${sf2[@]}")
apply_first=$(median "${ap1[@]}")
apply_again=$(median "${ap2[@]}")

printf 'tree: %d files in %d directories; median of %d rounds\n' "$files" "$dirs" "$rounds"
printf 'setfacl -R -m (first)    %7.3f s\n' "$setfacl_first"
printf 'sandboxctl apply (first) %7.3f s   ratio %.2f (target <= 0.50)\n' "$apply_first" \
  "$(echo "$apply_first / $setfacl_first" | bc -l)"
printf 'setfacl -R -m (again)    %7.3f s\n' "$setfacl_again"
printf 'sandboxctl apply (again) %7.3f s   ratio %.2f (target <= 0.50)\n' "$apply_again" \
  "$(echo "$apply_again / $setfacl_again" | bc -l)"
