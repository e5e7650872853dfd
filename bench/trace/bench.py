#!/usr/bin/env python3
"""Tracer benchmark: wall time untraced, under `bob record` and under `strace -f`, for the four
workloads of issue 4; plus events per second, lost events and bob's peak RSS.

    sudo bench/trace/bench.py --bob BUILD/tools/bob [--repeat 3] [--no-strace]

Run as root on an otherwise idle machine. Prints a Markdown table (docs/tracing.md)."""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))


def npm_workload(work):
    """An offline npm install of the local postinstall fixture into a fresh prefix."""
    src = os.path.join(work, "src")
    shutil.copytree(os.path.join(SOURCE, "testdata/trace/npm-postinstall"), src)
    env = dict(os.environ, HOME=work)
    subprocess.run(["npm", "pack", "--silent", "--pack-destination", work], cwd=src, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    tarball = os.path.join(work, "bob-postinstall-fixture-1.0.0.tgz")
    script = (f'p=$(mktemp -d {work}/prefix.XXXXXX); HOME={work} npm_config_cache={work}/.npm '
              f'npm install --offline --no-audit --no-fund --global --prefix "$p" {tarball} '
              '>/dev/null 2>&1')
    return ["/bin/sh", "-c", script]


def workloads(work):
    return [
        ("dd bs=1 count=1M", ["dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=1048576",
                              "status=none"]),
        ("find /usr", ["/bin/sh", "-c", "find /usr >/dev/null"]),
        ("500 × fork+exec", ["/bin/sh", "-c", "i=0; while [ $i -lt 500 ]; do /bin/true; "
                                               "i=$((i+1)); done"]),
        ("npm install (local)", npm_workload(work)),
    ]


def timed(argv, stderr=subprocess.DEVNULL):
    """Runs argv; returns (seconds, peak RSS of the direct child in KiB, stderr text)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    status_path = f"/proc/{proc.pid}/status"
    while proc.poll() is None:
        try:
            with open(status_path) as f:
                m = re.search(r"VmHWM:\s+(\d+)", f.read())
                if m:
                    peak = max(peak, int(m.group(1)))
        except OSError:
            pass
        time.sleep(0.005)
    err = proc.stderr.read().decode(errors="replace")
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]}... exited {proc.returncode}: {err[-500:]}")
    return elapsed, peak, err


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bob", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-strace", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root")
    work = tempfile.mkdtemp(prefix="bob-bench-")
    rows = []
    try:
        for name, argv in workloads(work):
            base, traced, strace = [], [], []
            events, lost, peak = [], 0, 0
            for _ in range(args.repeat):
                base.append(timed(argv)[0])
                out = os.path.join(work, "profile.yaml")
                t, rss, err = timed([args.bob, "record", "-v", "-o", out, "--"] + argv)
                traced.append(t)
                peak = max(peak, rss)
                m = re.search(r"trace: (\d+) records", err)
                if m:
                    events.append(int(m.group(1)) / t)
                if "lost" in err:
                    lost += 1
                if not args.no_strace:
                    strace.append(timed(["strace", "-f", "-qq", "-o", "/dev/null"] + argv)[0])
            b, tr = statistics.median(base), statistics.median(traced)
            st = statistics.median(strace) if strace else float("nan")
            rows.append((name, b, tr, tr / b, st, st / b, st / tr,
                         statistics.median(events) if events else 0, lost, peak / 1024))
            print(f"# {name}: base {b:.2f}s bob {tr:.2f}s strace {st:.2f}s", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("| workload | untraced | bob record | ratio | strace -f | ratio | strace/bob | "
          "records/s | runs with loss | bob peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]:.2f} s | {r[2]:.2f} s | {r[3]:.2f}× | {r[4]:.2f} s | "
              f"{r[5]:.1f}× | {r[6]:.1f}× | {r[7]:,.0f} | {r[8]} | {r[9]:.1f} MiB |")


if __name__ == "__main__":
    main()
