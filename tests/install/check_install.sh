#!/usr/bin/env bash
# Installs sandboxctl into a temporary prefix and checks that the installed binary finds
# its built-in profiles in <prefix>/share/sandboxctl/profiles. Removes the prefix after.
# Usage: check_install.sh BUILD_DIR
set -euo pipefail
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
out=$(cd "$prefix" && "$prefix/bin/sandboxctl" --machine-profiles '' --json list)
passed=0 failed=0
for name in base workspace offline online readonly; do
  if grep -q "\"origin\": \"builtin:$name.toml\"" <<<"$out"; then
    echo "ok installed binary finds builtin:$name.toml"; passed=$((passed + 1))
  else
    echo "FAIL installed binary does not find builtin:$name.toml"; failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
