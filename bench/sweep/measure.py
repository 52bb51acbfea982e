#!/usr/bin/env python3
"""Measurement half of bench/sweep_bench.sh: runs `emosweep run` and wrk against the nginx
mocks that the shell script started, and prints each figure as a ratio measured in the same run.

  a. cold sweep (cache writes on) req/s over wrk req/s, same server, same connection count;
  b. 1,024 requests in flight against a 200 ms mock over Little's law (1024 / 0.2 s);
  c. a fully cached replay in items/s (goal 200,000), with a time split by thread.

The sweep's request phase is the window that run.json records (`started_at_ms`: the plan starts;
the final `updated_at_ms`: outputs written); start-up (reading and validating the dataset, opening
the cache) is reported apart. CPU times come from wait4() (whole process) and from polling
/proc/PID/task/*/stat (per thread; a thread's last ~50 ms can be missed).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
RUN_DEADLINE_S = 900


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def write_sweep(path, name, dataset, lexicon, base_url, concurrency, cache, out):
    # One endpoint, one model, the paper's zero-shot prompt: one request per item.
    with open(path, "w") as f:
        f.write(f"""name: {name}
dataset: {{ path: {dataset} }}
lexicon: {lexicon}
cache: {cache}
output: {out}
endpoints:
  - name: nginx
    dialect: openai
    base_url: {base_url}
    limits: {{ concurrency: {concurrency} }}
    timeouts: {{ request: 30 }}
models:
  - name: bench-model
    endpoint: nginx
    model: gpt-4o-mini
    params: {{ temperature: 0, max_tokens: 16 }}
prompts:
  - name: zero-shot
    template: express-zero-shot
""")


class Sampler:
    """Polls /proc/PID/task/*/stat (the last CPU time, user + system, of each thread) and the
    run's run.json (progress snapshots, written every 5 s while running)."""

    def __init__(self, pid, run_json):
        self.pid = pid
        self.run_json = run_json
        self.threads = {}  # tid -> [comm, ticks]
        self.snapshots = []  # (updated_at_ms, requests_sent, done) of status "running"
        self.stop = threading.Event()
        self.worker = threading.Thread(target=self.run, daemon=True)
        self.worker.start()

    def run(self):
        while not self.stop.is_set():
            try:
                tids = os.listdir(f"/proc/{self.pid}/task")
            except OSError:
                tids = []
            for tid in tids:
                try:
                    with open(f"/proc/{self.pid}/task/{tid}/stat") as f:
                        stat = f.read()
                except OSError:
                    continue
                comm = stat[stat.index("(") + 1:stat.rindex(")")]
                fields = stat[stat.rindex(")") + 2:].split()
                self.threads[int(tid)] = [comm, int(fields[11]) + int(fields[12])]
            try:
                with open(self.run_json) as f:
                    run = json.load(f)
                snap = (run["updated_at_ms"], run["requests_sent"], run["done"])
                if run["status"] == "running" and (not self.snapshots or self.snapshots[-1] != snap):
                    self.snapshots.append(snap)
            except (OSError, ValueError, KeyError):
                pass
            self.stop.wait(0.05)

    def steady_rps(self):
        """Requests/s between the second and the last progress snapshot: the sustained rate,
        without the ramp-up at the start and the last wave of answers at the end."""
        snaps = self.snapshots[1:]
        if len(snaps) < 2 or snaps[-1][0] <= snaps[0][0]:
            return None
        return (snaps[-1][1] - snaps[0][1]) * 1000 / (snaps[-1][0] - snaps[0][0])

    def finish(self):
        self.stop.set()
        self.worker.join()

    def by_role(self):
        """CPU seconds by role, from the thread names emosweep sets (es-planner, es-network,
        es-cachewriter, es-scorer; RocksDB names its own rocksdb:*); the first thread is main."""
        tids = sorted(self.threads)
        if not tids:
            return {}
        names = {"es-planner": "planner", "es-network": "network", "es-cachewriter": "cache writer",
                 "es-scorer": "scorer"}
        roles = {"start-up + supervision (main)": self.threads[tids[0]][1]}
        for tid in tids[1:]:
            comm, ticks = self.threads[tid]
            role = "rocksdb background" if comm.startswith("rocksdb") else names.get(comm, "other threads")
            roles[role] = roles.get(role, 0) + ticks
        return {k: v / CLK_TCK for k, v in roles.items()}


def run_sweep(binary, sweep, out_dir, sample_threads=False):
    """Runs `emosweep run`; returns a dict of timings, counters and CPU."""
    log = os.path.splitext(sweep)[0] + ".log"
    with open(log, "w") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen([binary, "run", sweep, "--metrics-addr", "off", "--progress", "none"],
                                stdout=subprocess.DEVNULL, stderr=stderr)
    sampler = Sampler(proc.pid, os.path.join(out_dir, "run.json")) if sample_threads else None
    deadline = threading.Timer(RUN_DEADLINE_S, proc.kill)  # a hung run must not hang the bench
    deadline.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    deadline.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if sampler:
        sampler.finish()
    if proc.returncode != 0:
        with open(log, errors="replace") as f:
            sys.exit(f"sweep_bench: emosweep run {sweep} exited {proc.returncode}:\n{f.read()[-4000:]}")
    with open(os.path.join(out_dir, "run.json")) as f:
        run = json.load(f)
    with open(os.path.join(out_dir, "summary.json")) as f:
        summary = json.load(f)
    phase = (run["updated_at_ms"] - run["started_at_ms"]) / 1000
    return {
        "wall": wall, "phase": phase, "startup": wall - phase,
        "requests": run["requests_sent"], "replays": run["cache_replays"], "done": run["done"],
        "failed": run["failed"], "retries": run["retries"], "stores": run["cache_stores"],
        "rows": sum(s["rows"] for s in summary),
        "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024,
        "threads": sampler.by_role() if sampler else {},
        "steady_rps": sampler.steady_rps() if sampler else None,
    }


def run_wrk(url, connections, duration, script, threads):
    """Returns (requests/s, requests, wrk's CPU seconds)."""
    proc = subprocess.Popen(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "-s", script, url],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    proc.stderr.close()
    if proc.returncode != 0 or "Non-2xx" in out or "Socket errors" in out:
        sys.exit(f"sweep_bench: wrk failed or reported errors against {url}:\n{out}")
    rps = requests = None
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            rps = float(line.split()[1])
        elif "requests in" in line:
            requests = int(line.split()[0])
    if rps is None or not requests:
        sys.exit(f"sweep_bench: no Requests/sec in wrk's output:\n{out}")
    return rps, requests, usage.ru_utime + usage.ru_stime


def process_cpu(pids):
    """CPU seconds (user + system) used so far by the given processes."""
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def fresh(*paths):
    for p in paths:
        shutil.rmtree(p, ignore_errors=True)


def fmt_split(threads, units):
    """CPU by thread in µs per unit (request or item) and as a share of the process's CPU."""
    total = sum(threads.values()) or 1
    return ", ".join(f"{k} {v * 1e6 / units:.1f} ({100 * v / total:.0f} %)"
                     for k, v in sorted(threads.items(), key=lambda kv: -kv[1]) if v > 0.005)


def median_range(values, fmt="{:.2f}"):
    return (fmt.format(statistics.median(values)) + " (" + fmt.format(min(values)) + "–" +
            fmt.format(max(values)) + ")")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", required=True)
    p.add_argument("--tmp", required=True)
    p.add_argument("--lexicon", required=True)
    p.add_argument("--instant-url", required=True, help="base_url of the instant mock (…/v1)")
    p.add_argument("--slow-url", required=True, help="base_url of the 200 ms mock (…/v1)")
    p.add_argument("--wrk-script", required=True)
    p.add_argument("--nginx-pid", type=int, required=True, help="nginx master; its workers' CPU is measured")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--inflight", type=int, default=1024)
    p.add_argument("--latency", type=float, default=0.2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--wrk-duration", type=int, default=10)
    p.add_argument("--wrk-threads", type=int, default=1)
    p.add_argument("--only", default="abc", help="which figures: any of a, b, c")
    a = p.parse_args()
    t = a.tmp
    print(f"machine: {os.cpu_count()} cores, load average {' '.join(open('/proc/loadavg').read().split()[:3])}")
    results = {}

    if "a" in a.only:
        sweep, out = os.path.join(t, "cold.yaml"), os.path.join(t, "out-cold")
        write_sweep(sweep, "bench-cold", os.path.join(t, "cold.csv"), a.lexicon, a.instant_url,
                    a.connections, os.path.join(t, "cache-cold"), out)
        url = a.instant_url + "/chat/completions"
        half = max(1, a.wrk_duration // 2)
        print(f"\n(a) cold sweep vs wrk: instant nginx mock, {a.connections} connections; per round wrk -t{a.wrk_threads} "
              f"{half}s, the sweep (fresh cache, cache writes on), wrk {half}s again: the sweep against wrk "
              f"around it, so a host drifting during the round biases neither; {a.rounds} rounds")
        run_wrk(url, a.connections, 2, a.wrk_script, a.wrk_threads)  # warm-up
        with open(f"/proc/{a.nginx_pid}/task/{a.nginx_pid}/children") as f:
            nginx_workers = [int(x) for x in f.read().split()]
        ratios, rps_list, wrk_list, cpu_list, cpu_ratios = [], [], [], [], []
        for r in range(1, a.rounds + 1):
            before = process_cpu(nginx_workers)
            rps_before, requests_before, cpu_before = run_wrk(url, a.connections, half, a.wrk_script, a.wrk_threads)
            nginx_wrk_cpu = process_cpu(nginx_workers) - before
            fresh(os.path.join(t, "cache-cold"), out)
            before = process_cpu(nginx_workers)
            s = run_sweep(a.bin, sweep, out, sample_threads=True)
            nginx_sweep = (process_cpu(nginx_workers) - before) * 1e6 / max(1, s["requests"])
            before = process_cpu(nginx_workers)
            rps_after, requests_after, cpu_after = run_wrk(url, a.connections, half, a.wrk_script, a.wrk_threads)
            nginx_wrk_cpu += process_cpu(nginx_workers) - before
            # Equal durations: the mean rate is the rate over both.
            wrk_rps = (rps_before + rps_after) / 2
            wrk_requests, wrk_cpu = requests_before + requests_after, cpu_before + cpu_after
            nginx_wrk = nginx_wrk_cpu * 1e6 / wrk_requests
            if s["requests"] != s["done"] or s["failed"] or s["stores"] != s["requests"]:
                sys.exit(f"sweep_bench: cold sweep did not send and store one request per item: {s}")
            rps = s["requests"] / s["phase"]
            cpu_us = s["cpu"] * 1e6 / s["requests"]
            wrk_us = wrk_cpu * 1e6 / wrk_requests
            # Both sides share the same 2 cores with nginx: when they are CPU-bound, requests/s
            # go as 1 / (client CPU + nginx CPU) per request, whatever else runs on the machine.
            cpu_ratio = (wrk_us + nginx_wrk) / (cpu_us + nginx_sweep)
            ratios.append(rps / wrk_rps)
            rps_list.append(rps)
            wrk_list.append(wrk_rps)
            cpu_list.append(cpu_us)
            cpu_ratios.append(cpu_ratio)
            print(f"  round {r}: wrk {wrk_rps:8.0f} req/s ({rps_before:.0f} before, {rps_after:.0f} after) | sweep {s['requests']} requests in {s['phase']:.2f} s "
                  f"(+{s['startup']:.2f} s start-up) = {rps:7.0f} req/s | ratio {rps / wrk_rps:.2f} | "
                  f"peak RSS {s['rss_mb']:.0f} MB | load {load()}")
            print(f"           CPU µs/request: wrk {wrk_us:.1f} + nginx {nginx_wrk:.1f} | sweep {cpu_us:.1f} + nginx "
                  f"{nginx_sweep:.1f} | CPU ratio {cpu_ratio:.2f}")
            print(f"           sweep CPU µs/request by thread: {fmt_split(s['threads'], s['requests'])}")
        results["a"] = ratios
        print(f"  => cold sweep / wrk: median {median_range(ratios)}  (goal >= 0.5); "
              f"sweep {median_range(rps_list, '{:.0f}')} req/s, wrk {median_range(wrk_list, '{:.0f}')} req/s")
        print(f"     CPU per request (wrk + nginx) / (sweep + nginx): median {median_range(cpu_ratios)}; "
              f"sweep CPU {median_range(cpu_list, '{:.1f}')} µs/request")

    if "b" in a.only:
        sweep, out = os.path.join(t, "slow.yaml"), os.path.join(t, "out-slow")
        write_sweep(sweep, "bench-slow", os.path.join(t, "slow.csv"), a.lexicon, a.slow_url, a.inflight,
                    os.path.join(t, "cache-slow"), out)
        ideal = a.inflight / a.latency
        print(f"\n(b) {a.inflight} in flight against a {a.latency * 1000:.0f} ms nginx mock: Little's law "
              f"{a.inflight} / {a.latency} s = {ideal:.0f} req/s; {a.rounds} rounds")
        ratios, steady = [], []
        for r in range(1, a.rounds + 1):
            fresh(os.path.join(t, "cache-slow"), out)
            s = run_sweep(a.bin, sweep, out, sample_threads=True)
            if s["requests"] != s["done"] or s["failed"]:
                sys.exit(f"sweep_bench: slow sweep had failures or retries: {s}")
            rps = s["requests"] / s["phase"]
            ratios.append(rps / ideal)
            sustained = ""
            if s["steady_rps"]:
                steady.append(s["steady_rps"] / ideal)
                sustained = f" (sustained {s['steady_rps']:.0f} req/s = {s['steady_rps'] / ideal:.3f})"
            print(f"  round {r}: {s['requests']} requests in {s['phase']:.2f} s (+{s['startup']:.2f} s start-up) = "
                  f"{rps:6.0f} req/s | ratio {rps / ideal:.3f}{sustained} | CPU {s['cpu'] * 1e6 / s['requests']:.1f} "
                  f"µs/request, peak RSS {s['rss_mb']:.0f} MB | load {load()}")
            print(f"           CPU µs/request by thread: {fmt_split(s['threads'], s['requests'])}")
        results["b"] = ratios
        floor = a.latency / (s["requests"] / ideal + a.latency)
        print(f"  => sweep / Little's law: median {median_range(ratios, '{:.3f}')}  (goal >= 0.95; the whole request "
              f"phase, so the last {a.latency * 1000:.0f} ms wave alone costs {floor:.3f})")
        if steady:
            print(f"     sustained (between run.json snapshots, without ramp-up and last wave): median "
                  f"{median_range(steady, '{:.3f}')}")

    if "c" in a.only:
        sweep, out = os.path.join(t, "replay.yaml"), os.path.join(t, "out-replay")
        write_sweep(sweep, "bench-replay", os.path.join(t, "replay.csv"), a.lexicon, a.instant_url,
                    max(a.connections, 256), os.path.join(t, "cache-replay"), out)
        fresh(os.path.join(t, "cache-replay"), out)
        fill = run_sweep(a.bin, sweep, out)
        print(f"\n(c) fully cached replay: the cache filled by a cold run of {fill['requests']} requests "
              f"({fill['wall']:.1f} s); then the same sweep again, {a.rounds} rounds")
        rates, bounds = [], []
        for r in range(1, a.rounds + 1):
            s = run_sweep(a.bin, sweep, out, sample_threads=True)
            if s["requests"] != 0 or s["replays"] != fill["requests"] or s["rows"] != fill["rows"]:
                sys.exit(f"sweep_bench: the replay was not fully cached: {s}")
            rate = s["replays"] / s["wall"]
            rates.append(rate)
            print(f"  round {r}: {s['replays']} items in {s['wall']:.2f} s = {rate:8.0f} items/s "
                  f"({rate / 200000:.2f} x goal) | start-up {s['startup']:.2f} s, replay+scoring+writing "
                  f"{s['phase']:.2f} s ({s['replays'] / s['phase']:.0f} items/s) | CPU {s['cpu']:.2f} s, peak RSS "
                  f"{s['rss_mb']:.0f} MB | load {load()}")
            print(f"           CPU µs/item by thread: {fmt_split(s['threads'], s['replays'])}")
            th = s["threads"]
            startup_cpu = th.get("start-up + supervision (main)", 0)
            rest = sum(th.values()) - startup_cpu
            if rest > 0:
                bounds.append(s["replays"] / (startup_cpu + rest / os.cpu_count()))
                print(f"           bound with every core busy all the time: {bounds[-1]:.0f} items/s "
                      f"(start-up CPU + the other threads' CPU shared by {os.cpu_count()} cores)")
        results["c"] = rates
        print(f"  => replay: median {median_range(rates, '{:.0f}')} items/s  "
              f"(goal >= 200000: {statistics.median(rates) / 200000:.2f} x goal)")
        if bounds:
            print(f"     bound with every core busy: median {median_range(bounds, '{:.0f}')} items/s")

    print(f"\nload average after: {' '.join(open('/proc/loadavg').read().split()[:3])}")


if __name__ == "__main__":
    main()
