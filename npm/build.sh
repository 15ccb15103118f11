#!/usr/bin/env bash
# Assembles dash's npm packages from a built binary, for the platform this runs on:
#   npm/build.sh BINARY OUT_DIR [VERSION]
# writes OUT_DIR/dash-ready (the launcher package) and OUT_DIR/dash-ready-<os>-<cpu>
# (the binary's package, with `os` and `cpu` so npm installs it only there). VERSION
# defaults to the version in Cargo.toml; every package gets the same one, and the
# launcher's optionalDependencies pin it exactly. A release runs this once per target
# (with that target's binary and NPM_OS/NPM_CPU set) and publishes every platform
# package before the launcher package.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 BINARY OUT_DIR [VERSION]" >&2
  exit 2
fi
binary=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
version=${3:-$(sed -n 's/^version = "\(.*\)"$/\1/p' "$here/../Cargo.toml" | head -n 1)}
os=${NPM_OS:-$(node -p process.platform)}
cpu=${NPM_CPU:-$(node -p process.arch)}

case "$os-$cpu" in
  linux-x64 | linux-arm64 | darwin-x64 | darwin-arm64 | win32-x64) ;;
  *)
    echo "$0: no npm package for $os-$cpu (supported: linux-x64, linux-arm64, darwin-x64, darwin-arm64, win32-x64)" >&2
    exit 2
    ;;
esac
[ -f "$binary" ] || { echo "$0: $binary: no such file" >&2; exit 2; }
[ -n "$version" ] || { echo "$0: no version (Cargo.toml unreadable?)" >&2; exit 2; }

exe=dash
[ "$os" = win32 ] && exe=dash.exe
platform="dash-ready-$os-$cpu"
mkdir -p "$out"
rm -rf "${out:?}/dash-ready" "${out:?}/$platform"

# The launcher package: the tracked files, every version set to this one.
cp -R "$here/dash-ready" "$out/dash-ready"
VERSION=$version node -e '
  const fs = require("fs");
  const file = process.argv[1];
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  pkg.version = process.env.VERSION;
  for (const name of Object.keys(pkg.optionalDependencies)) {
    pkg.optionalDependencies[name] = process.env.VERSION;
  }
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
' "$out/dash-ready/package.json"
chmod 755 "$out/dash-ready/bin/dash"

# The platform package: the binary and a manifest npm filters on.
mkdir -p "$out/$platform/bin"
cp "$binary" "$out/$platform/bin/$exe"
chmod 755 "$out/$platform/bin/$exe"
cat > "$out/$platform/package.json" <<JSON
{
  "name": "$platform",
  "version": "$version",
  "description": "The dash binary for $os-$cpu (installed by the dash-ready package)",
  "license": "MIT OR Apache-2.0",
  "os": ["$os"],
  "cpu": ["$cpu"],
  "files": ["bin/$exe"],
  "preferUnplugged": true
}
JSON
printf 'The `dash` binary for %s-%s. Install `dash-ready`, which picks this package on\nmachines it fits.\n' "$os" "$cpu" > "$out/$platform/README.md"
echo "$out/dash-ready"
echo "$out/$platform"
