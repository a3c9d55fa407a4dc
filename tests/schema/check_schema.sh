#!/usr/bin/env bash
# Checks schema/profile.schema.json with taplo, offline:
#   - every profiles/*.toml and examples/*/.sandboxctl/*.toml must be ACCEPTED;
#   - for every tests/invalid/*/ holding a file named `schema-rejects`, at least one .toml
#     under its .sandboxctl/ must be REJECTED (mistakes the schema must catch as well as
#     the engine).
# Before that, two built-in self-tests prove that the schema is loaded and enforced, so the
# check cannot pass vacuously. Prints one line per check and ends with "N passed, M failed".
#
# Usage: check_schema.sh TAPLO_BINARY REPO_ROOT
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 TAPLO_BINARY REPO_ROOT" >&2
  exit 2
fi
# Absolute, since taplo runs from a scratch directory.
if ! taplo=$(command -v "$1"); then
  echo "error: taplo binary '$1' not found or not executable" >&2
  exit 2
fi
[[ $taplo == /* ]] || taplo="$PWD/$taplo"
root=$(cd "$2" && pwd)
schema="$root/schema/profile.schema.json"
if [[ ! -f $schema ]]; then
  echo "error: no schema at $schema" >&2
  exit 2
fi

# file:// URL of the schema, percent-encoding anything outside a safe set.
url_path() {
  local LC_ALL=C s=$1 out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in
      [A-Za-z0-9/._~-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}
schema_url="file://$(url_path "$schema")"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
pass() { echo "ok $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# Runs taplo on one file and prints "accepted", "rejected" or "error: <why>"; taplo's
# output is left in $work/taplo.out.
# Offline by construction: --no-auto-config ignores any .taplo.toml (and TAPLO_CONFIG is
# unset), --schema pins the one schema, and schema catalogs are never enabled (that needs
# --default-schema-catalogs or --schema-catalog). RUST_LOG=info keeps the "found files"
# line that proves the file was really checked (a path taplo cannot find, or reads as a
# glob matching nothing, is otherwise reported as success).
classify() {
  local file=$1 out="$work/taplo.out" rc=0
  (cd "$work" && env -u TAPLO_CONFIG RUST_LOG=info \
    "$taplo" check --colors never --no-auto-config --schema "$schema_url" "$file") >"$out" 2>&1 || rc=$?
  if grep -q 'failed to load schema' "$out"; then
    echo "error: taplo could not load $schema_url"
  elif ! grep -q 'found files total=1 ' "$out"; then
    echo "error: taplo did not check the file (exit $rc)"
  elif [[ $rc -eq 0 ]]; then
    echo accepted
  elif grep -q 'invalid file error=' "$out"; then
    echo rejected
  else
    echo "error: taplo failed (exit $rc): $(grep -m1 -E 'ERROR|error' "$out" || true)"
  fi
}

# Relative display name.
rel() { printf '%s' "${1#"$root"/}"; }

# Files that must be accepted.
expect_accepted() {
  local file=$1 name=$2 result
  result=$(classify "$file")
  if [[ $result == accepted ]]; then
    pass "accepted $name"
  elif [[ $result == rejected ]]; then
    fail "rejected $name (must be accepted):"
    # taplo repeats a message once per range it marks; show each once.
    grep -E '^error' "$work/taplo.out" | awk '!seen[$0]++ { print "    " $0 }' || true
  else
    fail "$name: $result"
  fi
}

# Self-tests: a minimal valid profile is accepted and a profile that is valid TOML but
# breaks only the schema (version = 2) is rejected; otherwise every result below is
# meaningless.
mkdir "$work/selftest"
printf 'version = 1\n' >"$work/selftest/minimal.toml"
printf 'version = 2\n' >"$work/selftest/version2.toml"
expect_accepted "$work/selftest/minimal.toml" "self-test: 'version = 1'"
result=$(classify "$work/selftest/version2.toml")
if [[ $result == rejected ]]; then
  pass "rejected self-test: 'version = 2'"
else
  fail "self-test: 'version = 2' must be rejected, got: $result"
fi

# Profiles that must be accepted.
repo_files=0
while IFS= read -r -d '' file; do
  repo_files=$((repo_files + 1))
  expect_accepted "$file" "$(rel "$file")"
done < <(find "$root/profiles" "$root"/examples/*/.sandboxctl -maxdepth 1 -type f -name '*.toml' -print0 2>/dev/null |
  sort -z)

# Invalid cases the schema must catch.
for dir in "$root"/tests/invalid/*/; do
  dir=${dir%/}
  [[ -f $dir/schema-rejects ]] || continue
  repo_files=$((repo_files + 1))
  any_rejected=0
  seen=0
  while IFS= read -r -d '' file; do
    seen=$((seen + 1))
    result=$(classify "$file")
    case $result in
      rejected)
        pass "rejected $(rel "$file")"
        any_rejected=1
        ;;
      accepted) echo "-- accepted $(rel "$file") (allowed: one rejected file per case is enough)" ;;
      *) echo "-- $(rel "$file"): $result" ;;
    esac
  done < <(find "$dir/.sandboxctl" -type f -name '*.toml' -print0 2>/dev/null | sort -z)
  if [[ $seen -eq 0 ]]; then
    fail "$(rel "$dir"): has schema-rejects but no .toml under .sandboxctl/"
  elif [[ $any_rejected -eq 0 ]]; then
    fail "$(rel "$dir"): the schema rejects none of its $seen .sandboxctl/*.toml files"
  fi
done

if [[ $repo_files -eq 0 ]]; then
  fail "no profiles found under $root/profiles or $root/examples/*/.sandboxctl"
fi

echo "$passed passed, $failed failed"
if [[ $failed -gt 0 || $passed -eq 0 ]]; then
  exit 1
fi
