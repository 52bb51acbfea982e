#!/usr/bin/env bash
# Mock provider throughput with wrk (docs/PERFORMANCE.md, "Mock provider").
#
# In the same run and with the same wrk settings (64 keep-alive connections, 2 wrk threads):
#   1. reference: nginx (nginx-light + echo module, 2 workers) answering a fixed
#      chat.completion body: the fastest an HTTP server can answer here;
#   2. `emosweep mock-provider --threads 2` answering one EXPRESS zero-shot prompt (parsed,
#      hashed, counted, answered with a pseudo-prediction);
#   3. the same with 256 distinct prompts in rotation (per-prompt counting under load);
#   4. the same with rate limits on (rpm/tpm high enough that nothing is refused).
# The four are measured in turn, ROUNDS times (the machine is shared and noisy); prints the
# median requests/s of each and the ratio mock/nginx, and checks through GET /stats that the
# mock answered every request with a 200.
#
# Usage: bench/mock_provider_bench.sh [BUILD_DIR]     (default: build)
#   CONNECTIONS=64 DURATION=10 WARMUP=2 ROUNDS=3 EMOSWEEP_BIN=path/to/emosweep \
#     bench/mock_provider_bench.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build_dir=${1:-$root/build}
bin=${EMOSWEEP_BIN:-$build_dir/emosweep}
connections=${CONNECTIONS:-64}
duration=${DURATION:-10}
warmup=${WARMUP:-2}
rounds=${ROUNDS:-3}
echo_module=/usr/lib/nginx/modules/ngx_http_echo_module.so

for tool in nginx wrk python3 curl; do
  command -v "$tool" >/dev/null || { echo "mock_provider_bench: $tool not found (scripts/bootstrap)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "mock_provider_bench: $bin not built (cmake --build $build_dir --target emosweep)" >&2; exit 1; }
[ -f "$echo_module" ] || { echo "mock_provider_bench: $echo_module missing (libnginx-mod-http-echo)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/emosweep_mock_bench.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Request bodies: real EXPRESS segments in the paper's zero-shot prompt when the shared data is
# there, else a synthetic segment of the same size.
python3 - "$root/../shared/data/express/express-sample.csv" "$tmp" <<'PY'
import csv, json, os, sys
src, out = sys.argv[1], sys.argv[2]
segments = []
if os.path.exists(src):
    csv.field_size_limit(1 << 30)
    with open(src, newline='') as f:
        for row in csv.DictReader(f):
            segments.append((row['segment'], int(row['number_of_labels'])))
            if len(segments) == 256:
                break
while len(segments) < 256:
    i = len(segments)
    segments.append((f"Story {i}: " + "I kept thinking about it all week and " * 30 + "I felt <mask>.", 1))
def prompt(segment, n):
    fmt = ", ".join(f"'insert emotion word for mask {k}'" for k in range(1, n + 1))
    return ("You are an assistant tasked with predicting emotion words masked as <mask> in a given "
            f"self-disclosure text from social media. Predict the {n} <mask> token(s) based on the "
            f"context. \nProvide your answer in the format: [{fmt}]. The length of the list must be "
            f"{n}. Only include words describing emotions, and provide no extra text or reasoning.\n"
            f"\nText:\n{segment}\n\nAnswer:")
bodies = [json.dumps({"model": "gpt-4o-2024-08-06", "temperature": 0, "max_tokens": 256,
                      "messages": [{"role": "user", "content": prompt(s, n)}]}) for s, n in segments]
def lua_string(s):
    return "[==[" + s + "]==]"
with open(os.path.join(out, "one.lua"), "w") as f:
    f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
    f.write("wrk.body = " + lua_string(bodies[0]) + "\n")
with open(os.path.join(out, "many.lua"), "w") as f:
    f.write("local bodies = {\n" + ",\n".join(lua_string(b) for b in bodies) + "\n}\n")
    f.write('local i = 0\nrequest = function()\n  i = i + 1\n'
            '  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, '
            'bodies[i % #bodies + 1])\nend\n')
print(f"request body: {len(bodies[0])} bytes (one prompt), {sum(map(len, bodies)) // len(bodies)} bytes on average (256 prompts)")
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 200); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "mock_provider_bench: nothing listens on port $1" >&2; exit 1
}
# CPU time (user + system, in clock ticks) of processes and their children threads.
cpu_ticks() {
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
# run_wrk URL SCRIPT PID... -> "requests/s CPU-µs-per-request" (CPU of the PIDs during the
# measured run); fails loudly on non-2xx answers or socket errors.
run_wrk() {
  local url="$1" script="$2"; shift 2
  wrk -t2 -c"$connections" -d"${warmup}s" -s "$script" "$url" >/dev/null
  local before out after
  before=$(cpu_ticks "$@")
  out=$(wrk -t2 -c"$connections" -d"${duration}s" -s "$script" "$url")
  after=$(cpu_ticks "$@")
  if grep -q "Non-2xx\|Socket errors" <<<"$out"; then
    echo "wrk reported errors against $url:" >&2
    echo "$out" >&2
    exit 1
  fi
  local rps requests
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  python3 -c 'import os, sys; print(sys.argv[1], "%.2f" % ((int(sys.argv[3]) - int(sys.argv[2])) * 1e6 / os.sysconf("SC_CLK_TCK") / int(sys.argv[4])))' \
    "$rps" "$before" "$after" "$requests"
}

# The reference: nginx with a fixed chat.completion body.
nginx_port=$(free_port)
fixed='{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"[\u0027comfortable\u0027, \u0027admired\u0027]","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":312,"completion_tokens":9,"total_tokens":321},"system_fingerprint":"fp_emosweep_mock"}'
cat >"$tmp/nginx.conf" <<CONF
load_module $echo_module;
worker_processes 2;
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
    listen 127.0.0.1:$nginx_port;
    location /v1/chat/completions {
      default_type application/json;
      echo_read_request_body;
      echo -n '$fixed';
    }
  }
}
CONF
nginx -p "$tmp" -c "$tmp/nginx.conf" -g 'daemon off;' 2>"$tmp/nginx.err" &
pids+=($!)
wait_port "$nginx_port"
nginx_workers=$(pgrep -P "${pids[0]}" | tr '\n' ' ')

# The mock provider, twice: without and with rate limits (high enough to refuse nothing).
start_mock() {  # start_mock NAME [options...]; its port is then in $tmp/NAME.port
  local name="$1"; shift
  "$bin" mock-provider --listen 127.0.0.1:0 --port-file "$tmp/$name.port" --threads 2 "$@" \
    >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=($!)
  for _ in $(seq 200); do [ -s "$tmp/$name.port" ] && return 0; sleep 0.05; done
  echo "mock_provider_bench: the mock provider did not start:" >&2
  cat "$tmp/$name.err" >&2
  exit 1
}
start_mock plain
plain_pid=${pids[-1]}
start_mock limited --rpm 1000000000 --tpm 1000000000000
limited_pid=${pids[-1]}
plain_port=$(cat "$tmp/plain.port")
limited_port=$(cat "$tmp/limited.port")

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk: 2 threads, $connections connections, ${duration}s after ${warmup}s of warm-up;" \
     "$rounds rounds, medians"
declare -A results
path=/v1/chat/completions
for round in $(seq "$rounds"); do
  # shellcheck disable=SC2086  # several worker pids
  results[nginx]+="$(run_wrk "http://127.0.0.1:$nginx_port$path" "$tmp/one.lua" $nginx_workers),"
  results[one]+="$(run_wrk "http://127.0.0.1:$plain_port$path" "$tmp/one.lua" "$plain_pid"),"
  results[many]+="$(run_wrk "http://127.0.0.1:$plain_port$path" "$tmp/many.lua" "$plain_pid"),"
  results[limited]+="$(run_wrk "http://127.0.0.1:$limited_port$path" "$tmp/many.lua" "$limited_pid"),"
done

plain_stats=$(curl -s "http://127.0.0.1:$plain_port/stats?summary=1")
limited_stats=$(curl -s "http://127.0.0.1:$limited_port/stats?summary=1")
python3 - "${results[nginx]}" "${results[one]}" "${results[many]}" "${results[limited]}" \
  "$plain_stats" "$limited_stats" <<'PY'
import json, statistics, sys
def parse(arg):
    pairs = [p.split() for p in arg.strip(",").split(",")]
    return [float(a) for a, _ in pairs], [float(b) for _, b in pairs]
runs = [parse(a) for a in sys.argv[1:5]]
for text in sys.argv[5:7]:
    stats = json.loads(text)
    assert stats["responses_by_status"].get("200", 0) == stats["requests"], \
        f"non-200 answers: {stats['responses_by_status']}"
ref = statistics.median(runs[0][0])
labels = ["nginx (2 workers, fixed body)", "mock-provider, one prompt",
          "mock-provider, 256 prompts", "mock-provider, 256 prompts, rpm+tpm on"]
print(f"{'':<40}{'requests/s':>11}{'ratio':>7}{'CPU us/req':>12}   runs (requests/s)")
for i, (label, (rps, cpu)) in enumerate(zip(labels, runs)):
    m = statistics.median(rps)
    ratio = "1" if i == 0 else f"{m / ref:.2f}"
    print(f"{label:<40}{m:>11.0f}{ratio:>7}{statistics.median(cpu):>12.2f}   "
          + ", ".join("%.0f" % x for x in rps))
plain = json.loads(sys.argv[5])
print(f"mock counted {plain['requests']} requests over {plain['prompts']} prompts and "
      f"{plain['connections']} connections, all answered 200")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
