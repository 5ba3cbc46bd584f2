#!/usr/bin/python3
"""Goodput benchmark: iperf3 through the jitterguard test bed, per profile,
congestion control and arm, interleaved and repeated.

For every repetition, every case (profile and flow count) and every
congestion control, the arms run one after the other in an order that
rotates with the repetition, each on a freshly built bed
(`testbed.sh up ... ; iperf3 ... ; testbed.sh down`) with the same emulator
seed, so slow drifts of the machine spread evenly over the arms.

Writes
  * a CSV with one row per run (appended as runs finish, so a partial
    campaign keeps its data),
  * a markdown report with medians, the fraction of the clean path each
    profile keeps, and the ratios passthrough/none and shield/passthrough,
  * PNG plots: median goodput per profile per arm, and goodput over time of
    the first run of every case.
A hand-written docs/benchmarks/NAME-notes.md, if present, is included in
the report (so regenerating the report keeps the commentary).

Stdlib only, plus matplotlib from Debian (hence /usr/bin/python3).
Run as root. Example (the baseline in docs/benchmarks/goodput.md):

  pktgen-scenarios/goodput.py --arms none --cc cubic,bbr --runs 3 --duration 20
"""

import argparse
import csv
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TESTBED = HERE / "testbed.sh"
PROFILES = HERE / "profiles"
RECEIVER = "198.18.0.2"
STATE = Path(os.environ.get("TESTBED_STATE", "/run/jg-testbed"))

DEFAULT_PROFILES = [
    "clean", "stalls", "handover", "uniform", "fifo-jitter", "ack-aggregation",
    "loss-0.5", "loss-1", "radio-mix", "congestion", "lfn-clean", "lfn-loss-0.1",
]
# Extra cases beyond each profile's own flow count: mixed loss + competition.
DEFAULT_EXTRA_CASES = ["loss-0.5@4"]
ARM_BOX = {"none": ("none", "passthrough"), "passthrough": ("jitterguard", "passthrough"),
           "monitor": ("jitterguard", "monitor"), "shield": ("jitterguard", "shield")}

CSV_FIELDS = [
    "timestamp", "case", "profile", "cc", "flows", "arm", "run", "seed", "duration_s",
    "goodput_mbps", "sender_mbps", "retransmits", "per_flow_mbps", "jain",
    "ss_cwnd_end", "ss_retrans_end", "emu_dropped_queue", "emu_dropped_random",
    "emu_max_queue_delay_ms", "emu_lateness_p99_us", "emu_lateness_max_us",
    "emu_stalled_busy_ms", "error", "sender_recoveries", "sender_undos",
    "box_local_retransmits", "sender_hystart", "emu_queue_delay_mean_ms",
    "emu_queue_delay_p99_ms", "box_duplicates_suppressed", "sender_dsacks",
    "receiver_paws_drops", "box_ts_raised",
]
# The sender's own account (nstat in jg-snd, a fresh namespace per run):
# how often it entered SACK recovery, and how often it undid a cut.
SENDER_RECOVERY = ["TcpExtTCPSackRecovery"]
# DSACKs the sender received (R's, or the box's answers to duplicates).
SENDER_DSACK = ["TcpExtTCPDSACKRecv"]
SENDER_UNDO = ["TcpExtTCPFullUndo", "TcpExtTCPPartialUndo", "TcpExtTCPDSACKUndo",
               "TcpExtTCPLossUndo"]
# How CUBIC's HyStart ended slow start without loss: by the ACK train
# (the pipe looks full) or by a rise of the round's minimum RTT; counts and
# the cwnd summed over detections.
HYSTART = {"train": ("TcpExtTCPHystartTrainDetect", "TcpExtTCPHystartTrainCwnd"),
           "delay": ("TcpExtTCPHystartDelayDetect", "TcpExtTCPHystartDelayCwnd")}


def kernel_counters(netns):
    """The TCP/IP counters of a namespace the bed made for this run (`nstat`
    since the namespace's start), or None if nstat fails."""
    proc = subprocess.run(["ip", "netns", "exec", netns, "nstat", "-saz", "--json"],
                          text=True, capture_output=True)
    try:
        return json.loads(proc.stdout)["kernel"]
    except (json.JSONDecodeError, KeyError):
        return None


def sender_counters():
    """Sums of the sender namespace's recovery and undo counters, or {}."""
    k = kernel_counters("jg-snd")
    if k is None:
        return {}
    exits = [f"{how}@{k.get(cwnd, 0) // k[n]}" for how, (n, cwnd) in HYSTART.items()
             if k.get(n, 0) > 0]
    return {"sender_recoveries": sum(k.get(n, 0) for n in SENDER_RECOVERY),
            "sender_undos": sum(k.get(n, 0) for n in SENDER_UNDO),
            "sender_dsacks": sum(k.get(n, 0) for n in SENDER_DSACK),
            "sender_hystart": " ".join(exits) or "none"}


def receiver_counters():
    """Segments the receiver dropped by its PAWS check (RFC 7323): a copy
    the box sent with a TSval older than R's TS.Recent ends there. {} if
    nstat fails."""
    k = kernel_counters("jg-rcv")
    return {} if k is None else {"receiver_paws_drops": k.get("TcpExtPAWSEstab", 0)}


def box_counters():
    """The box's local retransmissions and duplicate answers (`jitterguard
    stats` in jg-box), or {}."""
    # An empty variable counts as unset, as in testbed.sh.
    target = os.environ.get("CARGO_TARGET_DIR") or str(REPO / "target")
    jg = os.environ.get("JG_BIN") or str(Path(target) / "release" / "jitterguard")
    proc = subprocess.run(["ip", "netns", "exec", "jg-box", jg, "stats"],
                          text=True, capture_output=True)
    out = {}
    for counter, column in (("local_retransmits", "box_local_retransmits"),
                            ("duplicates_suppressed", "box_duplicates_suppressed"),
                            ("repair_timestamps_raised", "box_ts_raised")):
        m = re.search(rf"^{counter}\s+(\d+)", proc.stdout, re.M)
        if m:
            out[column] = int(m.group(1))
    return out


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profiles", default=",".join(DEFAULT_PROFILES),
                   help="comma list of profile names (files in profiles/)")
    p.add_argument("--extra-cases", default=",".join(DEFAULT_EXTRA_CASES),
                   help="comma list of PROFILE@FLOWS cases added to the matrix ('' for none)")
    p.add_argument("--flows", default="",
                   help="comma list of flow counts to run every profile with "
                        "(default: each profile's own 'flows')")
    p.add_argument("--cc", default="cubic,bbr", help="comma list: cubic,bbr,reno")
    p.add_argument("--arms", default="none,passthrough",
                   help="comma list of arms: none (emulator only), passthrough, monitor, shield")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--duration", type=int, default=20, help="iperf3 seconds per run")
    p.add_argument("--interval", type=float, default=0.5, help="iperf3 report interval (s)")
    p.add_argument("--seed-base", type=int, default=1, help="emulator seed of run 0")
    p.add_argument("--name", default="goodput",
                   help="output name: docs/benchmarks/NAME.{csv,md}, docs/plots/NAME/")
    p.add_argument("--raw-dir", default="/tmp/jg-goodput-raw",
                   help="where iperf3 JSON of every run is kept (for the time plots), "
                        "in a folder per NAME, one file per case, cc, arm and seed")
    p.add_argument("--report-only", action="store_true",
                   help="do not run anything: rebuild the report and plots from the CSV")
    p.add_argument("--append", action="store_true",
                   help="append to an existing CSV instead of starting a new one")
    return p.parse_args()


def split(text):
    return [x.strip() for x in text.split(",") if x.strip()]


def load_profile(name):
    path = PROFILES / f"{name}.toml"
    with open(path, "rb") as f:
        return path, tomllib.load(f)


def build_cases(args):
    cases = []
    flow_override = [int(x) for x in split(args.flows)]
    for name in split(args.profiles):
        _, prof = load_profile(name)
        for flows in flow_override or [int(prof.get("flows", 1))]:
            cases.append((name, flows))
    for spec in split(args.extra_cases):
        name, _, flows = spec.partition("@")
        if (name, int(flows or 1)) not in cases:
            cases.append((name, int(flows or 1)))
    return cases


def case_label(profile, flows):
    return profile if flows == 1 or (profile == "congestion" and flows == 4) else f"{profile}@{flows}"


def jain(values):
    values = [v for v in values if v is not None]
    if len(values) < 2 or sum(v * v for v in values) == 0:
        return None
    return sum(values) ** 2 / (len(values) * sum(v * v for v in values))


def run_cmd(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def sample_ss(delay, out):
    """`ss -tin` in the sender namespace shortly before iperf3 ends."""
    time.sleep(delay)
    try:
        text = run_cmd(["ip", "netns", "exec", "jg-snd", "ss", "-tin", "dst", RECEIVER]).stdout
    except (subprocess.CalledProcessError, OSError):
        return
    cwnds, retrans = [], 0
    for line in text.splitlines():
        m = re.search(r"\bcwnd:(\d+)", line)
        acked = re.search(r"\bbytes_acked:(\d+)", line)
        # Data connections only: iperf3's control connection carries a few
        # hundred bytes.
        if m and acked and int(acked.group(1)) > 100_000:
            cwnds.append(int(m.group(1)))
            r = re.search(r"\bretrans:\d+/(\d+)", line)
            retrans += int(r.group(1)) if r else 0
    out["cwnd"] = "/".join(map(str, cwnds))
    out["retrans"] = retrans


def emulator_stats():
    try:
        lines = (STATE / "linkem.log").read_text().splitlines()
    except OSError:
        return {}
    for line in reversed(lines):
        if line.startswith("{"):
            try:
                d = json.loads(line)
            except json.JSONDecodeError:
                continue
            if d.get("event") == "final":
                return d.get("a_to_b", {})
    return {}


def raw_file(raw_dir, case, cc, arm, seed):
    """One run's iperf3 JSON. Keyed by seed, not by run index: a campaign
    built with --append (ab-binaries.sh) has run 0 at every seed, and
    campaigns of different NAMEs keep separate folders, so a time plot
    never shows another campaign's or another seed's run."""
    return raw_dir / f"{case}_{cc}_{arm}_seed{seed}.json"


def one_run(args, profile, flows, cc, arm, run, raw_dir):
    box, mode = ARM_BOX[arm]
    seed = args.seed_base + run
    path, _ = load_profile(profile)
    row = {f: "" for f in CSV_FIELDS}
    row.update(timestamp=datetime.datetime.now().isoformat(timespec="seconds"),
               case=case_label(profile, flows), profile=profile, cc=cc, flows=flows,
               arm=arm, run=run, seed=seed, duration_s=args.duration)
    raw_path = raw_file(raw_dir, case_label(profile, flows), cc, arm, seed)
    try:
        run_cmd([str(TESTBED), "up", "--box", box, "--mode", mode, "--profile", str(path),
                 "--cc", cc, "--seed", str(seed)])
        ss = {}
        sampler = threading.Thread(target=sample_ss, args=(max(args.duration - 0.7, 0.5), ss))
        sampler.start()
        proc = subprocess.run(
            ["ip", "netns", "exec", "jg-snd", "iperf3", "-c", RECEIVER, "-t", str(args.duration),
             "-P", str(flows), "-C", cc, "-i", str(args.interval), "--json"],
            text=True, capture_output=True, timeout=args.duration + 60)
        sampler.join()
        raw_path.write_text(proc.stdout)
        result = json.loads(proc.stdout)
        if "error" in result:
            raise RuntimeError(f"iperf3: {result['error']}")
        end = result["end"]
        row["goodput_mbps"] = round(end["sum_received"]["bits_per_second"] / 1e6, 3)
        row["sender_mbps"] = round(end["sum_sent"]["bits_per_second"] / 1e6, 3)
        row["retransmits"] = end["sum_sent"].get("retransmits", "")
        per_flow = [s["receiver"]["bits_per_second"] / 1e6 for s in end["streams"]]
        row["per_flow_mbps"] = "/".join(f"{x:.2f}" for x in per_flow)
        j = jain(per_flow)
        row["jain"] = round(j, 4) if j is not None else ""
        row["ss_cwnd_end"] = ss.get("cwnd", "")
        row["ss_retrans_end"] = ss.get("retrans", "")
        row.update(sender_counters())
        row.update(receiver_counters())
        if box == "jitterguard":
            row.update(box_counters())
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, RuntimeError,
            json.JSONDecodeError, KeyError, OSError) as e:
        detail = getattr(e, "stderr", "") or ""
        row["error"] = (str(e) + " " + detail).strip().replace("\n", " ")[:300]
    finally:
        subprocess.run([str(TESTBED), "down"], capture_output=True)
    emu = emulator_stats()
    if emu:
        row["emu_dropped_queue"] = emu.get("dropped_queue", "")
        row["emu_dropped_random"] = emu.get("dropped_random", "")
        row["emu_max_queue_delay_ms"] = round(emu.get("max_queue_delay_ms", 0.0), 2)
        row["emu_lateness_p99_us"] = emu.get("lateness_us", {}).get("p99", "")
        row["emu_lateness_max_us"] = emu.get("lateness_us", {}).get("max", "")
        row["emu_stalled_busy_ms"] = round(emu.get("stalled_busy_ms", 0.0), 1)
        qd = emu.get("queue_delay_ms", {})
        row["emu_queue_delay_mean_ms"] = round(qd["mean"], 2) if "mean" in qd else ""
        row["emu_queue_delay_p99_ms"] = round(qd["p99"], 2) if "p99" in qd else ""
    return row


def run_campaign(args, csv_path):
    cases = build_cases(args)
    ccs = split(args.cc)
    arms = split(args.arms)
    for arm in arms:
        if arm not in ARM_BOX:
            sys.exit(f"unknown arm {arm}")
    raw_dir = Path(args.raw_dir) / args.name
    raw_dir.mkdir(parents=True, exist_ok=True)
    total = len(cases) * len(ccs) * len(arms) * args.runs
    print(f"{total} runs of {args.duration} s: about {total * (args.duration + 4) / 60:.0f} min",
          file=sys.stderr)
    mode = "a" if args.append and csv_path.exists() else "w"
    if mode == "a":
        with open(csv_path, newline="") as f:
            header = next(csv.reader(f), [])
        if header != CSV_FIELDS:
            sys.exit(f"{csv_path} has other columns than this script writes; "
                     "start a new campaign (--name) instead of --append")
    done = 0
    with open(csv_path, mode, newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        if mode == "w":
            writer.writeheader()
        for run in range(args.runs):
            for index, (profile, flows) in enumerate(cases):
                for cc in ccs:
                    shift = (run + index) % len(arms)
                    for arm in arms[shift:] + arms[:shift]:
                        row = one_run(args, profile, flows, cc, arm, run, raw_dir)
                        writer.writerow(row)
                        f.flush()
                        done += 1
                        print(f"[{done}/{total}] {row['case']} {cc} {arm} run {run}: "
                              f"{row['goodput_mbps'] or 'FAILED'} Mbit/s "
                              f"retr {row['retransmits']} {row['error']}", file=sys.stderr)


# ---------------------------------------------------------------- report

def read_rows(csv_path):
    with open(csv_path, newline="") as f:
        return list(csv.DictReader(f))


def median_or_none(values):
    values = [float(v) for v in values if v not in ("", None)]
    return statistics.median(values) if values else None


def reference_case(case):
    """The clean case a profile's goodput is compared with."""
    if case.startswith("lfn-upf"):
        return "lfn-upf-clean"
    if case.startswith("lfn"):
        return "lfn-clean"
    if case.startswith("upf"):
        return "upf-clean"
    if case == "congestion" or case.endswith("@4"):
        return "congestion"
    return "clean"


def fmt(x, digits=1):
    return "–" if x is None else f"{x:.{digits}f}"


def summarise(rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["case"], r["cc"], r["arm"]), []).append(r)
    summary = {}
    for key, rs in groups.items():
        ok = [r for r in rs if r["goodput_mbps"]]
        summary[key] = {
            "goodput": median_or_none(r["goodput_mbps"] for r in ok),
            "retrans": median_or_none(r["retransmits"] for r in ok),
            "jain": median_or_none(r["jain"] for r in ok),
            "recoveries": median_or_none(r.get("sender_recoveries") for r in ok),
            "box_retx": median_or_none(r.get("box_local_retransmits") for r in ok),
            "undos": median_or_none(r.get("sender_undos") for r in ok),
            "lateness_p99": median_or_none(r["emu_lateness_p99_us"] for r in ok),
            "n": len(ok), "failed": len(rs) - len(ok),
            "runs": sorted(float(r["goodput_mbps"]) for r in ok),
        }
    return summary


def ordered(values, preferred):
    seen = [v for v in preferred if v in values]
    return seen + sorted(v for v in values if v not in seen)


def uptime_section(rows, summary, ccs, arms, cases):
    """Stall profiles: goodput against the clean path's scaled by the share
    of the transfer the data link was up (1 - stalled time / duration, the
    stalled time the emulator counts while frames waited), per run, median."""
    out = []
    for cc in ccs:
        lines = []
        for case in cases:
            cells = []
            for arm in arms:
                ref = summary.get((reference_case(case), cc, arm))
                ratios = []
                for r in rows:
                    if (r["case"], r["cc"], r["arm"]) != (case, cc, arm) or r["error"]:
                        continue
                    stalled = float(r.get("emu_stalled_busy_ms") or 0.0)
                    if stalled <= 0 or not ref or not ref["goodput"]:
                        continue
                    up = max(1.0 - stalled / 1000.0 / float(r["duration_s"]), 1e-3)
                    ratios.append(float(r["goodput_mbps"]) / (ref["goodput"] * up))
                cells.append(f"{statistics.median(ratios):.2f} ({len(ratios)} runs)"
                             if ratios else "–")
            if any(c != "–" for c in cells):
                lines.append(f"| {case} | " + " | ".join(cells) + " |")
        if lines:
            out.append(f"### {cc.upper()}: of clean, scaled by the time the link was up\n")
            out.append("| case | " + " | ".join(arms) + " |")
            out.append("|" + "---|" * (len(arms) + 1))
            out += lines
            out.append("")
    return out


def per_arm_section(title, intro, ccs, arms, cases, cell):
    """A table of `cell(case, cc, arm)` (a string, "–" when not recorded),
    one row per cc and case that has any; [] when none has."""
    lines = []
    for cc in ccs:
        for case in cases:
            cells = [cell(case, cc, arm) for arm in arms]
            if any(c != "–" for c in cells):
                lines.append(f"| {cc} | {case} | " + " | ".join(cells) + " |")
    if not lines:
        return []
    return [f"## {title}\n", intro,
            "| cc | case | " + " | ".join(arms) + " |", "|---|---|" + "---|" * len(arms)] + lines + [""]


def recovery_section(summary, ccs, arms, cases):
    """The sender's SACK recoveries and undone cuts per run (nstat), if recorded."""
    def cell(case, cc, arm):
        s = summary.get((case, cc, arm))
        if not s or s["recoveries"] is None:
            return "–"
        box = f"; box {s['box_retx']:.0f}" if s["box_retx"] is not None else ""
        return f"{s['recoveries']:.0f} ({fmt(s['undos'], 0)} undone{box})"
    return per_arm_section(
        "Sender recoveries",
        "Medians per run of the sender's `TcpExtTCPSackRecovery` (entries into SACK "
        "recovery) and, in brackets, of its undone cuts (`TCPFullUndo` + `TCPPartialUndo` "
        "+ `TCPDSACKUndo` + `TCPLossUndo`), from `nstat` in jg-snd after the transfer; "
        "\"box\": the box's local retransmissions per run (`jitterguard stats`), where "
        "recorded.\n",
        ccs, arms, cases, cell)


def slow_start_section(rows, ccs, arms, cases):
    """How HyStart ended the sender's slow start, per run (nstat), if recorded."""
    def cell(case, cc, arm):
        runs = sorted((r for r in rows if (r["case"], r["cc"], r["arm"]) == (case, cc, arm)
                       and r.get("sender_hystart")), key=lambda r: int(r["run"]))
        return ", ".join(r["sender_hystart"] for r in runs) or "–"
    return per_arm_section(
        "Slow-start exits",
        "Per run, how the sender's HyStart ended slow start without a loss, with the cwnd "
        "(segments) at that point: `train` (ACK train as long as half the minimum RTT), "
        "`delay` (the round's minimum RTT rose above the path's minimum by an eighth of it, "
        "at least 4 ms); `none`: slow start ended by a loss. From `nstat` in jg-snd "
        "(`TcpExtTCPHystart{Train,Delay}{Detect,Cwnd}`); for several flows the cwnd is "
        "their mean.\n",
        ccs, arms, cases, cell)


def queue_delay_section(rows, ccs, arms, cases):
    """The data direction's queueing delay at the bottleneck, if recorded."""
    def cell(case, cc, arm):
        runs = [r for r in rows if (r["case"], r["cc"], r["arm"]) == (case, cc, arm)
                and not r["error"] and r.get("emu_queue_delay_mean_ms")]
        if not runs:
            return "–"
        mean = statistics.median(float(r["emu_queue_delay_mean_ms"]) for r in runs)
        p99 = statistics.median(float(r["emu_queue_delay_p99_ms"]) for r in runs)
        return f"{mean:.1f} / {p99:.1f}"
    return per_arm_section(
        "Bottleneck queueing delay",
        "Time a delivered frame of the data direction waited in the bottleneck's drop-tail "
        "queue before its serialisation began (jg-linkem's histogram over the run): median "
        "over runs of the per-run mean / of the per-run p99, in ms. The no-harm target asks "
        "that the box does not make it larger than passthrough.\n",
        ccs, arms, cases, cell)


def write_report(args, rows, md_path, plot_dir, command):
    summary = summarise(rows)
    cases = ordered({r["case"] for r in rows}, DEFAULT_PROFILES + ["loss-0.5@4"])
    ccs = ordered({r["cc"] for r in rows}, ["cubic", "bbr", "reno"])
    arms = ordered({r["arm"] for r in rows}, ["none", "passthrough", "monitor", "shield"])
    runs = max((int(r["run"]) for r in rows), default=-1) + 1
    durations = sorted({r["duration_s"] for r in rows})
    out = []
    out.append(f"# Goodput benchmark: `{args.name}`\n")
    out.append("Generated by `pktgen-scenarios/goodput.py`; every run is a row of "
               f"[`{args.name}.csv`]({args.name}.csv).\n")
    out.append("## How it was run\n")
    out.append(f"```\n{command}\n```\n")
    out.append(f"* {runs} interleaved repetition(s), iperf3 for {', '.join(durations)} s per run, "
               "medians over runs; a fresh bed per run (`testbed.sh up ... ; down`), "
               "emulator seed = run number + seed base, the same for every arm of a repetition.")
    out.append("* Goodput = iperf3 receiver bytes / time (TCP payload), summed over flows.")
    out.append("* \"of clean\" = median goodput / median goodput of the reference clean case "
               "with the same congestion control and arm (`clean` for 1 flow, `congestion` "
               "for 4 flows, `lfn-clean` for the 200 Mbit/s path, `upf-clean` for the upf-* profiles).")
    out.append(f"* Machine: {machine_description()}\n")
    for cc in ccs:
        out.append(f"## {cc.upper()}\n")
        header = ["case", "flows"]
        for arm in arms:
            header += [f"{arm} Mbit/s", f"{arm} of clean", f"{arm} retr"]
        if "none" in arms and "passthrough" in arms:
            header.append("passthrough/none")
        if "passthrough" in arms and "shield" in arms:
            header.append("shield/passthrough")
        header.append("Jain")
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for case in cases:
            if not any((case, cc, a) in summary for a in arms):
                continue
            flows = next(r["flows"] for r in rows if r["case"] == case)
            cells = [case, flows]
            jains = []
            for arm in arms:
                s = summary.get((case, cc, arm))
                ref = summary.get((reference_case(case), cc, arm))
                g = s["goodput"] if s else None
                frac = g / ref["goodput"] if g is not None and ref and ref["goodput"] else None
                cells += [fmt(g) + (f" ({s['failed']} failed)" if s and s["failed"] else ""),
                          fmt(frac, 2), fmt(s["retrans"] if s else None, 0)]
                if s and s["jain"] is not None:
                    jains.append(f"{arm} {s['jain']:.3f}")
            def ratio(a, b):
                sa, sb = summary.get((case, cc, a)), summary.get((case, cc, b))
                if sa and sb and sa["goodput"] and sb["goodput"]:
                    return fmt(sa["goodput"] / sb["goodput"], 2)
                return "–"
            if "none" in arms and "passthrough" in arms:
                cells.append(ratio("passthrough", "none"))
            if "passthrough" in arms and "shield" in arms:
                cells.append(ratio("shield", "passthrough"))
            cells.append(", ".join(jains) or "–")
            out.append("| " + " | ".join(str(c) for c in cells) + " |")
        out.append("")
    out += recovery_section(summary, ccs, arms, cases)
    out += slow_start_section(rows, ccs, arms, cases)
    out += queue_delay_section(rows, ccs, arms, cases)
    out += uptime_section(rows, summary, ccs, arms, cases)
    notes = md_path.with_name(f"{args.name}-notes.md")
    if notes.exists():
        out.append(f"## Notes (from `{notes.name}`)\n")
        out.append(notes.read_text().strip() + "\n")
    out.append("## Emulator timing\n")
    lat = [float(r["emu_lateness_p99_us"]) for r in rows if r["emu_lateness_p99_us"]]
    latmax = [float(r["emu_lateness_max_us"]) for r in rows if r["emu_lateness_max_us"]]
    if lat:
        out.append(f"Release lateness of the data direction (time a frame left jg-linkem after its "
                   f"scheduled release), over {len(lat)} runs: median of per-run p99 "
                   f"{statistics.median(lat):.0f} µs, worst per-run p99 {max(lat):.0f} µs, "
                   f"worst single frame {max(latmax) / 1000:.1f} ms.\n")
    out.append("## Plots\n")
    rel = os.path.relpath(plot_dir, md_path.parent)
    out.append(f"* ![goodput per profile]({rel}/goodput-by-profile.png)")
    for case in cases:
        if (plot_dir / f"timeseries-{case}.png").exists():
            out.append(f"* [{case}: goodput over time, first seed]({rel}/timeseries-{case}.png)")
    out.append("")
    md_path.write_text("\n".join(out) + "\n")
    return summary, cases, ccs, arms


def machine_description():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} vCPU ({cpu}), Linux {platform.release()}, "
            f"{platform.freedesktop_os_release().get('PRETTY_NAME', 'Linux')}, "
            f"iperf3 {iperf3_version()}")


def iperf3_version():
    try:
        return run_cmd(["iperf3", "--version"]).stdout.split()[1]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return "?"


def plot(summary, cases, ccs, arms, rows, plot_dir, raw_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plot_dir.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(len(ccs), 1, figsize=(max(8, 1.1 * len(cases)), 3.6 * len(ccs)),
                             squeeze=False)
    width = 0.8 / max(len(arms), 1)
    for ax, cc in zip(axes[:, 0], ccs):
        for i, arm in enumerate(arms):
            xs, ys, lo, hi = [], [], [], []
            for k, case in enumerate(cases):
                s = summary.get((case, cc, arm))
                if s and s["goodput"] is not None:
                    xs.append(k + (i - (len(arms) - 1) / 2) * width)
                    ys.append(s["goodput"])
                    lo.append(s["goodput"] - min(s["runs"]))
                    hi.append(max(s["runs"]) - s["goodput"])
            ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, label=arm)
        ax.set_xticks(range(len(cases)))
        ax.set_xticklabels(cases, rotation=30, ha="right")
        ax.set_ylabel("goodput, Mbit/s")
        ax.set_title(f"{cc.upper()}: median goodput per profile (bars: min–max over runs)")
        ax.grid(axis="y", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(plot_dir / "goodput-by-profile.png", dpi=110)
    plt.close(fig)

    for case in cases:
        fig, ax = plt.subplots(figsize=(8, 3.4))
        drawn = False
        for cc in ccs:
            for arm in arms:
                seeds = [int(r["seed"]) for r in rows
                         if r["case"] == case and r["cc"] == cc and r["arm"] == arm
                         and r.get("seed", "").isdigit()]
                if not seeds:
                    continue
                path = raw_file(raw_dir, case, cc, arm, min(seeds))
                try:
                    data = json.loads(path.read_text())
                    ivs = data["intervals"]
                except (OSError, json.JSONDecodeError, KeyError):
                    continue
                t = [iv["sum"]["end"] for iv in ivs]
                # Sender-side interval rate: what the sender gets through
                # per interval (receiver-side intervals are not in the
                # client's JSON); the end-of-run goodput is receiver-side.
                y = [iv["sum"]["bits_per_second"] / 1e6 for iv in ivs]
                ax.plot(t, y, label=f"{cc} / {arm}", linewidth=1)
                drawn = True
        if not drawn:
            plt.close(fig)
            continue
        ax.set_xlabel("time, s")
        ax.set_ylabel("Mbit/s (sender, per interval)")
        ax.set_title(f"{case}: throughput over time, first seed of each arm")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(plot_dir / f"timeseries-{case}.png", dpi=110)
        plt.close(fig)


def main():
    args = parse_args()
    if os.geteuid() != 0 and not args.report_only:
        sys.exit("run as root (the bed uses network namespaces)")
    csv_path = REPO / "docs" / "benchmarks" / f"{args.name}.csv"
    md_path = REPO / "docs" / "benchmarks" / f"{args.name}.md"
    plot_dir = REPO / "docs" / "plots" / args.name
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    command = " ".join(["pktgen-scenarios/goodput.py"] + sys.argv[1:])
    if os.environ.get("JG_CONFIG"):
        # The shield arm's settings are part of what was measured.
        cfg = Path(os.environ["JG_CONFIG"]).resolve()
        shown = cfg.relative_to(REPO) if cfg.is_relative_to(REPO) else cfg
        command = f"JG_CONFIG={shown} {command}"
    if not args.report_only:
        run_campaign(args, csv_path)
    elif md_path.exists():
        # Keep the command that produced the data, not this re-render.
        m = re.search(r"```\n((?:JG_CONFIG=\S+ )?pktgen-scenarios/goodput\.py[^\n]*)\n```",
                      md_path.read_text())
        if m:
            command = m.group(1)
    rows = read_rows(csv_path)
    if not rows:
        sys.exit(f"no rows in {csv_path}")
    # Report first (so it exists even if plotting fails), then plots, then
    # the report again so it links the plots that now exist.
    summary, cases, ccs, arms = write_report(args, rows, md_path, plot_dir, command)
    plot(summary, cases, ccs, arms, rows, plot_dir, Path(args.raw_dir) / args.name)
    write_report(args, rows, md_path, plot_dir, command)
    print(f"wrote {csv_path}, {md_path}, {plot_dir}/", file=sys.stderr)


if __name__ == "__main__":
    main()
