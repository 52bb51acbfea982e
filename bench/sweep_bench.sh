#!/usr/bin/env bash
# End-to-end performance of `emosweep run` (issue 4; docs/PERFORMANCE.md, "Orchestrator (end to
# end)"). Every figure is a ratio measured in the same run:
#   a. cold sweep requests/s (fresh cache, cache writes on) against an instant nginx mock, over
#      wrk's requests/s on the same server with the same connection count (goal >= 0.5), wrk
#      running for WRK_DURATION/2 seconds before and again after each sweep;
#   b. 1,024 requests in flight against a 200 ms nginx mock, over Little's law 1024 / 0.2 s =
#      5,120 requests/s (goal >= 0.95);
#   c. the same sweep replayed from a full cache (0 requests), in items/s (goal >= 200,000).
# The mocks are nginx-light with the echo module (1 worker, access_log off) on 127.0.0.1, answering
# POST /v1/chat/completions with a fixed OpenAI chat.completion; the datasets are synthetic
# EXPRESS CSVs (bench/sweep/make_dataset.py: short segments with 1-3 <mask>). The measuring is in
# bench/sweep/measure.py.
#
# Usage: bench/sweep_bench.sh [BUILD_DIR]        (default: build)
#   CONNECTIONS=64 ITEMS=250000 INFLIGHT=1024 SLOW_ITEMS=102400 REPLAY_ITEMS=500000 ROUNDS=3
#   WRK_DURATION=10 WRK_THREADS=1 ONLY=abc EMOSWEEP_BIN=path/to/emosweep bench/sweep_bench.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build_dir=${1:-$root/build}
bin=${EMOSWEEP_BIN:-$build_dir/emosweep}
connections=${CONNECTIONS:-64}
items=${ITEMS:-250000}
inflight=${INFLIGHT:-1024}
slow_items=${SLOW_ITEMS:-102400}
replay_items=${REPLAY_ITEMS:-500000}
rounds=${ROUNDS:-3}
wrk_duration=${WRK_DURATION:-10}
wrk_threads=${WRK_THREADS:-1}
only=${ONLY:-abc}
echo_module=/usr/lib/nginx/modules/ngx_http_echo_module.so

for tool in nginx wrk python3; do
  command -v "$tool" >/dev/null || { echo "sweep_bench: $tool not found (scripts/bootstrap)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "sweep_bench: $bin not built (cmake --build $build_dir --target emosweep)" >&2; exit 1; }
[ -f "$echo_module" ] || { echo "sweep_bench: $echo_module missing (libnginx-mod-http-echo)" >&2; exit 1; }

lexicon="$root/../shared/data/express/lexicon-decomposition.csv"
[ -f "$lexicon" ] || lexicon="$root/configs/demo/demo-lexicon.csv"

tmp=$(mktemp -d /tmp/emosweep_sweep_bench.XXXXXX)
chmod 755 "$tmp"
nginx_pid=
cleanup() {
  if [ -n "$nginx_pid" ]; then
    kill -TERM "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

echo "emosweep: $bin (tree at $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$root" diff --quiet 2>/dev/null || echo ', with uncommitted changes'))"
echo "synthetic datasets (bench/sweep/make_dataset.py) in $tmp"
case $only in *a*) python3 "$root/bench/sweep/make_dataset.py" "$tmp/cold.csv" "$items" "$lexicon" --seed 1 ;; esac
case $only in *b*) python3 "$root/bench/sweep/make_dataset.py" "$tmp/slow.csv" "$slow_items" "$lexicon" --seed 2 ;; esac
case $only in *c*) python3 "$root/bench/sweep/make_dataset.py" "$tmp/replay.csv" "$replay_items" "$lexicon" --seed 3 ;; esac

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 200); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "sweep_bench: nothing listens on port $1:" >&2
  cat "$tmp/nginx.err" "$tmp/error.log" >&2 2>/dev/null || true
  exit 1
}

# The answer: a one-word list, valid for the segments with one mask (a third of them).
body='{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"[\u0027happy\u0027]","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":4,"total_tokens":124},"system_fingerprint":"fp_emosweep_bench"}'
instant_port=$(free_port)
slow_port=$(free_port)
slow_seconds=0.2
cat >"$tmp/nginx.conf" <<CONF
load_module $echo_module;
worker_processes 1;
worker_rlimit_nofile 16384;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path $tmp/body;
  proxy_temp_path $tmp/proxy;
  fastcgi_temp_path $tmp/fastcgi;
  client_body_buffer_size 64k;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:$instant_port;
    location /v1/chat/completions {
      default_type application/json;
      echo_read_request_body;
      echo -n '$body';
    }
  }
  server {
    listen 127.0.0.1:$slow_port backlog=4096;
    location /v1/chat/completions {
      default_type application/json;
      echo_read_request_body;
      echo_sleep $slow_seconds;
      echo -n '$body';
    }
  }
}
CONF
nginx -p "$tmp" -c "$tmp/nginx.conf" -g 'daemon off;' 2>"$tmp/nginx.err" &
nginx_pid=$!
wait_port "$instant_port"
wait_port "$slow_port"

# wrk's request: the zero-shot prompt around a segment like the sweep's (~0.9 kB body).
python3 - "$tmp/post.lua" <<'PY'
import json, sys
segment = ("Story 7: today I went back to the place where it all started and honestly I did not "
           "expect to see anyone there but my old friend was <mask> near the door with coffee.")
prompt = ("You are an assistant tasked with predicting emotion words masked as <mask> in a given "
          "self-disclosure text from social media. Predict the 1 <mask> token(s) based on the "
          "context. \nProvide your answer in the format: ['insert emotion word for mask 1']. The "
          "length of the list must be 1. Only include words describing emotions, and provide no "
          "extra text or reasoning.\n\nText:\n" + segment + "\n\nAnswer:")
body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}],
                   "temperature": 0, "max_tokens": 16})
with open(sys.argv[1], "w") as f:
    f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
    f.write("wrk.body = [==[" + body + "]==]\n")
PY

python3 "$root/bench/sweep/measure.py" --bin "$bin" --tmp "$tmp" --lexicon "$lexicon" \
  --instant-url "http://127.0.0.1:$instant_port/v1" --slow-url "http://127.0.0.1:$slow_port/v1" \
  --wrk-script "$tmp/post.lua" --connections "$connections" --inflight "$inflight" \
  --latency "$slow_seconds" --rounds "$rounds" --wrk-duration "$wrk_duration" \
  --wrk-threads "$wrk_threads" --nginx-pid "$nginx_pid" --only "$only"
