"""Write models/split.json: the fixed train / validation / held-out split.

Written once, before any tuning, and committed. Rule (do not change after tuning started):
  * every series: rows [0, floor(0.7 n)) train, [floor(0.7 n), floor(0.8 n)) validation (tuning only),
    rows [floor(0.8 n), n) HELD-OUT test (never used for training or tuning);
  * whole held-out files (no row used for training or validation): listed in WHOLLY_HELDOUT.
Run: models/.venv/bin/python -m pipeline.make_split (from models/)."""
import csv
import json
import os
from datetime import datetime

# The data folder beside the checkout (README, "Data").
DATA_ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "data"))
NASA = "traces/nasa_http_1995/nasa_http_requests_per_minute.csv"
NAB_DIRS = ["nab/data/realAWSCloudwatch", "nab/data/realKnownCause", "nab/data/artificialWithAnomaly"]
# One or two per family, chosen before tuning: ec2_cpu (2), rds (1; elb has only one series, it stays in
# training on its first 70 %), ec2_network_in (1), artificial (1).
WHOLLY_HELDOUT = [
    "nab/data/realAWSCloudwatch/ec2_cpu_utilization_825cc2.csv",
    "nab/data/realAWSCloudwatch/ec2_cpu_utilization_fe7f93.csv",
    "nab/data/realAWSCloudwatch/rds_cpu_utilization_e47b3b.csv",
    "nab/data/realAWSCloudwatch/ec2_network_in_5abac7.csv",
    "nab/data/artificialWithAnomaly/art_daily_jumpsup.csv",
]
TRAIN_FRAC, VAL_FRAC_END = 0.7, 0.8


def family(rel: str) -> str:
    name = os.path.basename(rel)
    if rel == NASA:
        return "nasa"
    if name == "nyc_taxi.csv":
        return "nyc_taxi"
    if "realAWSCloudwatch" in rel:
        for p in ("ec2_cpu", "elb", "rds", "ec2_network", "ec2_disk", "grok", "iio"):
            if name.startswith(p):
                return p
    if "artificial" in rel:
        return "artificial"
    return "known_cause"


def step_seconds(path: str) -> int:
    ts = []
    with open(path) as f:
        r = csv.reader(f)
        next(r)
        for i, row in enumerate(r):
            ts.append(datetime.strptime(row[0], "%Y-%m-%d %H:%M:%S"))
            if i > 2000:
                break
    d = sorted((b - a).total_seconds() for a, b in zip(ts, ts[1:]))
    return int(d[len(d) // 2])


def count_rows(path: str) -> int:
    with open(path) as f:
        return sum(1 for _ in f) - 1


def main() -> None:
    files = [NASA]
    for d in NAB_DIRS:
        files += sorted(os.path.join(d, f) for f in os.listdir(os.path.join(DATA_ROOT, d)) if f.endswith(".csv"))
    out = []
    for rel in files:
        p = os.path.join(DATA_ROOT, rel)
        n = count_rows(p)
        st = step_seconds(p)
        out.append({
            "path": rel,
            "family": family(rel),
            "rows": n,
            "step_seconds": st,
            "period_day_steps": 86400 // st,
            "period_week_steps": 7 * 86400 // st,
            "validation_start_index": int(TRAIN_FRAC * n),
            "heldout_start_index": int(VAL_FRAC_END * n),
            "wholly_heldout": rel in WHOLLY_HELDOUT,
        })
    doc = {
        "version": 1,
        # Where the data lay when the split was fixed; split_sha256 in the model metadata covers this file, so
        # it stays as written. Loaders resolve ../shared/data from the repository root instead.
        "data_root": "/work/shared/data",
        "rule": ("rows [0, validation_start_index) = training; [validation_start_index, heldout_start_index) = "
                 "validation (model selection only); [heldout_start_index, rows) = held-out test, never used for "
                 "training or tuning. Files in wholly_heldout_files contribute no row to training or validation. "
                 "A training window (60 inputs + 30 targets) lies entirely before validation_start_index; a "
                 "validation window's targets lie entirely in [validation_start_index, heldout_start_index). "
                 "Inputs (recent and seasonal rows) may reach back into earlier segments."),
        "nasa_excluded_ranges": [
            {"from": "1995-07-28 13:33:00", "to": "1995-07-31 23:59:00", "reason": "no log data (empty rows)"},
            {"from": "1995-08-01 14:53:00", "to": "1995-08-03 04:35:00", "reason": "Hurricane Erin outage (zeros)"},
        ],
        "wholly_heldout_files": WHOLLY_HELDOUT,
        "files": out,
    }
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(here, "split.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
