#!/usr/bin/env bash
# Many viewers: N read-only dashboard replicas and one writer behind nginx (docs/deploy.md).
#
#   bash scripts/serve.sh [--replicas N] [--port P] [--host H] [--backend-port B]
#
# N (default: the number of cores) Streamlit replicas read the newest published copy of the database
# (LEAD_FUNNEL_ROLE=reader); one writer Streamlit process holds the database read-write, runs imports (Data
# page, shared folder) and settings, and publishes a copy after each. nginx (Debian's package) listens on
# H:P (default all interfaces, 8501): / goes to the replicas with session affinity (cookie lf_replica) and
# the WebSocket upgrade Streamlit needs; /admin/ goes to the writer. Backends listen on 127.0.0.1, ports
# B, B+1, ... (default P+1): replicas first, then the writer. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

REPLICAS="$(nproc 2>/dev/null || echo 2)"
PORT=8501
HOST=""
BACKEND_PORT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) REPLICAS="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --host) HOST="$2"; shift 2 ;;
    --backend-port) BACKEND_PORT="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "serve.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$REPLICAS" in ''|*[!0-9]*|0) echo "serve.sh: --replicas must be a whole number >= 1" >&2; exit 2 ;; esac
BACKEND_PORT="${BACKEND_PORT:-$((PORT + 1))}"

WITH_NGINX=1 bash scripts/setup.sh requirements.txt
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
if [ ! -x "$NGINX" ]; then
  echo "serve.sh: nginx is missing; install Debian's nginx package (apt-get install nginx) and try again" >&2
  exit 1
fi
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"  # as scripts/run.sh (docs/load.md)

DB="${LEAD_FUNNEL_DB:-data/lead_funnel.duckdb}"
export LEAD_FUNNEL_DB="$(.venv/bin/python -c 'import sys, pathlib; print(pathlib.Path(sys.argv[1]).resolve())' "$DB")"
RUN_DIR="${LEAD_FUNNEL_RUN_DIR:-$(dirname "$LEAD_FUNNEL_DB")/run}/serve-$PORT"
mkdir -p "$RUN_DIR/tmp"
# Switch publishing on and publish the database as it is now (with the sample data on a first start), so
# the replicas have a copy to read before the writer is up.
.venv/bin/python -m funnel publish --with-sample

# One cookie secret for every process: a session's signed cookies stay valid whichever process reads them.
export STREAMLIT_SERVER_COOKIE_SECRET="${STREAMLIT_SERVER_COOKIE_SECRET:-$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(32))')}"
STREAMLIT=(.venv/bin/python -m streamlit run app.py --server.headless true --server.address 127.0.0.1
           --browser.gatherUsageStats false)

PIDS=()
stop_all() {
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT TERM

upstream=""
for i in $(seq 0 $((REPLICAS - 1))); do
  p=$((BACKEND_PORT + i))
  LEAD_FUNNEL_ROLE=reader "${STREAMLIT[@]}" --server.port "$p" >"$RUN_DIR/replica-$p.log" 2>&1 &
  PIDS+=($!)
  echo "$!" >"$RUN_DIR/replica-$p.pid"
  upstream+="        server 127.0.0.1:$p max_fails=0;"$'\n'
done
WRITER_PORT=$((BACKEND_PORT + REPLICAS))
LEAD_FUNNEL_ROLE=writer "${STREAMLIT[@]}" --server.port "$WRITER_PORT" --server.baseUrlPath admin \
  >"$RUN_DIR/writer-$WRITER_PORT.log" 2>&1 &
PIDS+=($!)
echo "$!" >"$RUN_DIR/writer-$WRITER_PORT.pid"

LISTEN="${HOST:+$HOST:}$PORT"
cat >"$RUN_DIR/nginx.conf" <<EOF
# Written by scripts/serve.sh; docs/deploy.md explains every line.
worker_processes 1;
pid $RUN_DIR/nginx.pid;
error_log $RUN_DIR/nginx-error.log warn;
events { worker_connections 4096; }
http {
    # Which replica served what (the affinity key is the lf_replica cookie, or the new one just handed out).
    log_format lf '\$time_iso8601 \$status "\$request_method \$uri" upstream=\$upstream_addr key=\$lf_replica';
    access_log $RUN_DIR/nginx-access.log lf;
    client_body_temp_path $RUN_DIR/tmp/body;
    proxy_temp_path $RUN_DIR/tmp/proxy;
    fastcgi_temp_path $RUN_DIR/tmp/fastcgi;
    uwsgi_temp_path $RUN_DIR/tmp/uwsgi;
    scgi_temp_path $RUN_DIR/tmp/scgi;
    client_max_body_size 210m;   # Streamlit's server.maxUploadSize is 200 MiB

    # WebSocket: pass the Upgrade handshake on (Streamlit's /_stcore/stream).
    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    # Session affinity: a browser keeps one replica (uploads and media of a session live in that process).
    # No cookie yet: a random key, sent back as the cookie, so the next requests hash the same way.
    map \$cookie_lf_replica \$lf_replica { "" \$request_id; default \$cookie_lf_replica; }
    map \$cookie_lf_replica \$lf_set_cookie { "" "lf_replica=\$request_id; Path=/; HttpOnly; SameSite=Lax"; default ""; }

    upstream lf_replicas {
        hash \$lf_replica consistent;
$upstream    }
    upstream lf_writer {
        server 127.0.0.1:$WRITER_PORT;
    }
    server {
        listen $LISTEN;
        proxy_http_version 1.1;
        proxy_set_header Host \$http_host;
        proxy_set_header Upgrade \$http_upgrade;
        proxy_set_header Connection \$connection_upgrade;
        proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto \$scheme;
        proxy_read_timeout 1d;
        proxy_send_timeout 1d;
        proxy_buffering off;
        location = /admin { return 302 /admin/; }
        location /admin/ { proxy_pass http://lf_writer; }
        location / {
            add_header Set-Cookie \$lf_set_cookie always;
            proxy_pass http://lf_replicas;
        }
    }
}
EOF
"$NGINX" -t -q -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR" -e "$RUN_DIR/nginx-error.log"
"$NGINX" -c "$RUN_DIR/nginx.conf" -p "$RUN_DIR" -e "$RUN_DIR/nginx-error.log" -g 'daemon off;' &
PIDS+=($!)

# Ready when nginx answers for the replicas and for the writer.
for _ in $(seq 1 240); do
  if .venv/bin/python - "$PORT" "$BACKEND_PORT" "$REPLICAS" "$WRITER_PORT" <<'PY' 2>/dev/null
import sys, urllib.request
port, base, n, writer = (int(a) for a in sys.argv[1:])
urls = [f"http://127.0.0.1:{base + i}/_stcore/health" for i in range(n)]
urls += [f"http://127.0.0.1:{writer}/admin/_stcore/health", f"http://127.0.0.1:{port}/_stcore/health",
         f"http://127.0.0.1:{port}/admin/_stcore/health"]
for url in urls:
    urllib.request.urlopen(url, timeout=2).read()
PY
  then
    echo "Lead Funnel: $REPLICAS replica(s) and the writer behind nginx at http://${HOST:-localhost}:$PORT/" \
         "(imports and settings: /admin/). Logs: $RUN_DIR"
    break
  fi
  for pid in "${PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "serve.sh: a process exited during start; see $RUN_DIR/*.log" >&2; exit 1; }
  done
  sleep 0.5
done
wait -n "${PIDS[@]}"
echo "serve.sh: a process exited; stopping the others (logs in $RUN_DIR)" >&2
exit 1
