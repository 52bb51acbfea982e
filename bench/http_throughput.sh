#!/usr/bin/env bash
# HttpClient vs wrk against the same nginx (docs/PERFORMANCE.md, "HTTP client vs wrk").
#
# Starts nginx (Debian nginx-light + the echo module) on 127.0.0.1 at an ephemeral port, with
# a fixed OpenAI chat.completion body at /v1/chat/completions; then, ROUNDS times, runs wrk and
# http_client_bench one after the other with the same connection count, duration and POST
# body. Prints each round's requests/s and ratio client/wrk, and the median ratio (goal >= 0.5).
# Alternating short rounds keeps a load change on a shared machine from landing on one side.
#
# Usage: bench/http_throughput.sh [BUILD_DIR]      (default: build)
#   CONNECTIONS=64 DURATION=5 ROUNDS=5 WARMUP=1 WRK_THREADS=1 bench/http_throughput.sh build
set -euo pipefail

build_dir=${1:-build}
bench_bin="$build_dir/bench/http_client_bench"
connections=${CONNECTIONS:-64}
duration=${DURATION:-5}
rounds=${ROUNDS:-5}
warmup=${WARMUP:-1}
wrk_threads=${WRK_THREADS:-1}  # the client runs on one thread; so does wrk by default here
echo_module=/usr/lib/nginx/modules/ngx_http_echo_module.so

for tool in nginx wrk python3; do
  command -v "$tool" >/dev/null || { echo "http_throughput: $tool not found (scripts/bootstrap)" >&2; exit 1; }
done
[ -x "$bench_bin" ] || { echo "http_throughput: $bench_bin not built (cmake --build $build_dir --target http_client_bench)" >&2; exit 1; }
[ -f "$echo_module" ] || { echo "http_throughput: $echo_module missing (libnginx-mod-http-echo)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/emosweep_http_bench.XXXXXX)
chmod 755 "$tmp"
nginx_pid=""
cleanup() {
  if [ -n "$nginx_pid" ]; then
    kill -TERM "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
body='{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"[\u0027comfortable\u0027, \u0027admired\u0027]"},"finish_reason":"stop"}],"usage":{"prompt_tokens":312,"completion_tokens":9,"total_tokens":321}}'

cat >"$tmp/nginx.conf" <<CONF
load_module $echo_module;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $tmp/body;
  proxy_temp_path $tmp/proxy;
  fastcgi_temp_path $tmp/fastcgi;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:$port;
    location /v1/chat/completions {
      default_type application/json;
      echo_read_request_body;
      echo -n '$body';
    }
  }
}
CONF

nginx -p "$tmp" -c "$tmp/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 100); do
  if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then break; fi
  sleep 0.05
done
url="http://127.0.0.1:$port/v1/chat/completions"
request_body='{"model":"gpt-4o-2024-08-06","messages":[{"role":"user","content":"Predict the <mask>."}],"temperature":0,"max_tokens":256}'

cat >"$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$request_body'
wrk.headers["Content-Type"] = "application/json"
LUA

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "nginx: 1 worker on 127.0.0.1:$port; connections=$connections duration=${duration}s x $rounds rounds, wrk -t$wrk_threads"

wrk -t"$wrk_threads" -c"$connections" -d"${warmup}s" -s "$tmp/post.lua" "$url" >/dev/null
ratios=()
for round in $(seq "$rounds"); do
  wrk_out=$(wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" -s "$tmp/post.lua" "$url")
  wrk_rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$wrk_out")
  if grep -q "Non-2xx\|Socket errors" <<<"$wrk_out"; then
    echo "wrk reported errors:" >&2
    echo "$wrk_out" >&2
  fi
  client_out=$("$bench_bin" --url "$url" --connections "$connections" --duration "$duration" \
    --warmup "$warmup" --body "$request_body")
  client_rps=$(python3 -c 'import json,sys; print("%.0f" % json.loads(sys.argv[1])["rps"])' "$client_out")
  ratio=$(python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$client_rps" "$wrk_rps")
  ratios+=("$ratio")
  printf 'round %d: wrk %8.0f req/s   client %8.0f req/s   ratio %s   (load %s)\n' \
    "$round" "$wrk_rps" "$client_rps" "$ratio" "$(cut -d' ' -f1 /proc/loadavg)"
done
python3 -c 'import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print("median ratio client/wrk: %.2f (min %.2f, max %.2f; goal >= 0.5)" % (statistics.median(r), min(r), max(r)))' "${ratios[@]}"
echo "last client run: $client_out"
