#!/usr/bin/env bash
# Runs SAP's node-rfc binding, unmodified, against the stub libsapnwrfc and a fresh stub SAP
# system: installs node-rfc into a temporary folder, starts the stub on free ports, runs
# post.mjs with the stub libraries on the library path, and stops the stub again.
#
#   bash tests/node-rfc/run.sh
#
# Needs node (18 or newer) and npm, and builds the stub libraries and bizsap unless they are
# already built. Linux x86-64 only: node-rfc ships its prebuilt addon for that platform.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=tests/node-rfc
target=${CARGO_TARGET_DIR:-target}/debug

# A fresh CI machine may lack Node.js; Debian's packages bring it where we may install.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
fi
for tool in node npm cargo; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "node-rfc check: $tool is required but not installed" >&2
    exit 1
  fi
done
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "node-rfc check: node-rfc's prebuilt addon is for Linux x86-64 only" >&2
  exit 1
fi

cargo build --quiet -p bizsap -p sapnwrfc-stub -p sapnwrfc-ucum
libdir=$(cd "$target" && pwd)

work=$(mktemp -d)
stub_pid=
cleanup() {
  if [ -n "$stub_pid" ]; then kill "$stub_pid" 2>/dev/null || true; wait "$stub_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cp "$here/package.json" "$here/package-lock.json" "$here/post.mjs" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

# Free ports from the kernel, then the stub on them.
read -r http_port rfc_port < <(node -e '
  const net = require("node:net");
  const take = () => new Promise((ok) => { const s = net.createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
  Promise.all([take(), take()]).then((ports) => console.log(ports.join(" ")));')
"$target/bizsap" stub sap --listen "127.0.0.1:$http_port" --rfc-listen "127.0.0.1:$rfc_port" \
  --master-data examples/sap-master-data.toml >"$work/stub.log" 2>&1 &
stub_pid=$!
for _ in $(seq 50); do
  if node -e "require('node:net').connect($rfc_port, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"; then
    break
  fi
  sleep 0.2
done

status=0
(
  cd "$work"
  LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    STUB_SAP_ASHOST=127.0.0.1 STUB_SAP_GWSERV="$rfc_port" \
    STUB_SAP_HTTP="http://127.0.0.1:$http_port" \
    node post.mjs
) || status=$?
if [ "$status" -ne 0 ]; then
  echo "node-rfc check failed; the stub's log:" >&2
  cat "$work/stub.log" >&2
fi
exit "$status"
