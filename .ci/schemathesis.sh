#!/usr/bin/env bash
# Property-based checks of the REST API against its own OpenAPI document: `office serve`
# on a loopback port with the embedded defaults, schemathesis (pinned, in its own venv
# under /tmp, not the runtime venv) over /openapi.json. Fails on any 5xx, any response
# that does not match its documented schema, status or content type.
#
# `positive_data_acceptance` is left out: the API checks what the schema cannot say (a
# file's content must be a readable workbook, a template a known name or Markdown), so a
# schema-valid request may rightly be refused with 400/422.
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.32.5
venv=/tmp/office-schemathesis-$version
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi

cargo build -q -p office-http --bin office
data=$(mktemp -d /tmp/office-schemathesis-data.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATA_DIR="$data" OFFICE_HOST=127.0.0.1 OFFICE_PORT="$port" OFFICE_PYTHON="$(pwd)/.venv/bin/python" \
  OFFICE_API_KEYS="" target/debug/office serve >"$data/server.log" 2>&1 &
server=$!
# shellcheck disable=SC2064 # expand now
trap "kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf '$data'" EXIT
for _ in $(seq 1 120); do
  python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/api/health', timeout=2)" \
    >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$data/server.log" >&2; exit 1; }
  sleep 0.5
done

# From the temporary folder: schemathesis keeps its example database in the working folder.
cd "$data"
"$venv/bin/st" --no-color run "http://127.0.0.1:$port/openapi.json" \
  --checks all --exclude-checks positive_data_acceptance \
  --max-examples "${OFFICE_SCHEMATHESIS_EXAMPLES:-25}" --workers 2 \
  --generation-deterministic
