#!/usr/bin/env python3
"""Tracer benchmark: wall time untraced, under `bob record` and under `strace -f`, for the four
workloads of issue 4; plus records per second, lost events and bob's peak memory.

    sudo bench/trace/bench.py --bob BUILD/tools/bob [--repeat 5] [--no-strace]
                              [--strace-repeat N] [--only dd,find,fork,npm]

Run as root. The machine may be shared: the three ways of running a workload are interleaved
(untraced, bob, strace, in a rotating order) so that a change in background load hits all of
them alike, and every figure is a median with its spread (min–max over the repetitions). The
ratios are medians of the per-repetition ratios (each traced run against the untraced run next
to it). CPU time (user + system of the whole process tree, bob or strace included) is reported
as well: it is much less sensitive to other users of the machine than wall time. The load
average is printed before and after. Prints Markdown tables (docs/tracing.md)."""
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
        ("dd", "dd bs=1 count=1M", ["dd", "if=/dev/zero", "of=/dev/null", "bs=1",
                                    "count=1048576", "status=none"]),
        ("find", "find /usr", ["/bin/sh", "-c", "find /usr >/dev/null"]),
        ("fork", "500 × fork+exec", ["/bin/sh", "-c", "i=0; while [ $i -lt 500 ]; do /bin/true; "
                                                      "i=$((i+1)); done"]),
        ("npm", "npm install (local)", npm_workload(work)),
    ]


class Run:
    def __init__(self, wall, cpu, status, err):
        self.wall, self.cpu, self.status, self.err = wall, cpu, status, err


def timed(argv):
    """Runs argv; returns wall seconds, CPU seconds of its whole tree, status and stderr."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    # wait4's usage covers the child and every descendant it waited for.
    return Run(wall, usage.ru_utime + usage.ru_stime, proc.returncode, err)


def med(values):
    return statistics.median(values) if values else float("nan")


def spread(values):
    return f"{min(values):.2f}–{max(values):.2f}" if values else "–"


def loadavg():
    return "{:.1f} / {:.1f} / {:.1f}".format(*os.getloadavg())


def measure(args, argv):
    """Interleaved repetitions of the three ways of running argv."""
    out = {"base": [], "bob": [], "strace": [], "bob_fail": 0, "records": [], "lost": 0,
           "peak_kib": 0}
    modes = ["base", "bob"] + ([] if args.no_strace else ["strace"])
    profile = os.path.join(args.work, "profile.yaml")
    for rep in range(args.repeat):
        order = modes[rep % len(modes):] + modes[:rep % len(modes)]
        for mode in order:
            if mode == "strace" and len(out["strace"]) >= args.strace_repeat:
                continue
            if mode == "base":
                run = timed(argv)
            elif mode == "bob":
                run = timed([args.bob, "record", "-v", "-o", profile, "--"] + argv)
                m = re.search(r"trace: (\d+) records", run.err)
                if m:
                    out["records"].append(int(m.group(1)))
                m = re.search(r"peak memory (\d+) KiB", run.err)
                if m:
                    out["peak_kib"] = max(out["peak_kib"], int(m.group(1)))
                m = re.search(r"(\d+) events lost", run.err)
                if m:
                    out["lost"] += int(m.group(1))
                if run.status != 0:
                    out["bob_fail"] += 1
                    print(f"#   bob record exited {run.status}: {run.err.strip()[-300:]}",
                          file=sys.stderr)
                    continue
            else:
                run = timed(["strace", "-f", "-qq", "-o", "/dev/null"] + argv)
            if mode != "bob" and run.status != 0:
                raise RuntimeError(f"{mode} {argv[:3]}... exited {run.status}: {run.err[-500:]}")
            out[mode].append(run)
            print(f"#   rep {rep + 1} {mode}: {run.wall:.2f} s wall, {run.cpu:.2f} s CPU",
                  file=sys.stderr)
    return out


def paired(numerator, denominator, field):
    """Median of per-repetition ratios (repetition i of one mode against repetition i of the
    other: they ran next to each other)."""
    pairs = zip(numerator, denominator)
    ratios = [getattr(a, field) / getattr(b, field) for a, b in pairs if getattr(b, field) > 0]
    return med(ratios), ratios


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bob", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--strace-repeat", type=int, default=1000,
                        help="at most this many strace runs per workload (dd takes minutes)")
    parser.add_argument("--no-strace", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated: dd,find,fork,npm")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root")
    args.work = tempfile.mkdtemp(prefix="bob-bench-")
    only = set(filter(None, args.only.split(",")))
    results = []
    load_before = loadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    try:
        for key, name, argv in workloads(args.work):
            if only and key not in only:
                continue
            print(f"# {name} (load {loadavg()})", file=sys.stderr)
            results.append((name, measure(args, argv), loadavg()))
    finally:
        shutil.rmtree(args.work, ignore_errors=True)
    load_after = loadavg()

    print(f"Started {started}; {os.cpu_count()} CPUs; load average (1/5/15 min) "
          f"{load_before} before, {load_after} after; {args.repeat} interleaved repetitions.\n")
    print("Wall time, median (min–max) over the repetitions; ratios are medians of the "
          "per-repetition ratios.\n")
    print("| workload | untraced | bob record | bob/untraced | strace -f | strace/untraced | "
          "strace/bob | load after |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r, load in results:
        base = [x.wall for x in r["base"]]
        bob = [x.wall for x in r["bob"]]
        st = [x.wall for x in r["strace"]]
        bob_ratio, _ = paired(r["bob"], r["base"], "wall")
        st_ratio, _ = paired(r["strace"], r["base"], "wall")
        st_bob, _ = paired(r["strace"], r["bob"], "wall")
        print(f"| {name} | {med(base):.2f} s ({spread(base)}) | {med(bob):.2f} s ({spread(bob)}) "
              f"| {bob_ratio:.2f}× | {med(st):.2f} s ({spread(st)}) | {st_ratio:.1f}× | "
              f"{st_bob:.1f}× | {load} |")
    print("\nCPU time of the whole tree (user + system, the tracer included), median:\n")
    print("| workload | untraced | bob record | bob/untraced | strace -f | strace/untraced | "
          "strace/bob |")
    print("|---|---|---|---|---|---|---|")
    for name, r, _ in results:
        bob_ratio, _ = paired(r["bob"], r["base"], "cpu")
        st_ratio, _ = paired(r["strace"], r["base"], "cpu")
        st_bob, _ = paired(r["strace"], r["bob"], "cpu")
        print(f"| {name} | {med([x.cpu for x in r['base']]):.2f} s | "
              f"{med([x.cpu for x in r['bob']]):.2f} s | {bob_ratio:.2f}× | "
              f"{med([x.cpu for x in r['strace']]):.2f} s | {st_ratio:.1f}× | {st_bob:.1f}× |")
    print("\n| workload | records per run | records/s (of the traced run) | lost events | "
          "bob runs failed | bob peak memory (VmHWM) |")
    print("|---|---|---|---|---|---|")
    for name, r, _ in results:
        recs = med(r["records"])
        rate = med([n / x.wall for n, x in zip(r["records"], r["bob"])])
        print(f"| {name} | {recs:,.0f} | {rate:,.0f} | {r['lost']} | {r['bob_fail']} | "
              f"{r['peak_kib'] / 1024:.1f} MiB |")


if __name__ == "__main__":
    main()
