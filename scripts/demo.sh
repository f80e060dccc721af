#!/usr/bin/env bash
# Runs the demo bundle in the sandbox: scripts/demo.sh RUNSC BUNDLE
set -uo pipefail
runsc=${1:?usage: demo.sh RUNSC BUNDLE}
bundle=${2:?usage: demo.sh RUNSC BUNDLE}
root=$(mktemp -d /tmp/runsc-demo.XXXXXX)
trap 'rm -rf "$root"' EXIT
id="demo-$$"
echo "+ $runsc --root $root run --bundle $bundle $id"
"$runsc" --root "$root" run --bundle "$bundle" "$id"
status=$?
echo "exit status: $status"
exit $status
