#!/usr/bin/python3
"""Prints the markdown table of docs/retraining-results.md from the JSON files run.sh wrote.

    /usr/bin/python3 tools/train/retrain/table.py <out-dir>
"""
import glob
import json
import os
import statistics
import sys

RECIPES = [
    ("prune25-kd-3ep", "25 % L1 pruned, float", "fine-tune 3 epochs, KD, AdamW lr 3e-3 cosine, crop+flip", "90.7 (after reconstruction)", 90.2),
    ("prune25-kd-10ep", "25 % L1 pruned, float", "fine-tune 10 epochs, same recipe", "91.6 (after reconstruction)", 91.1),
    ("prune50-kd-10ep", "50 % L1 pruned, float", "fine-tune 10 epochs, same recipe", "88.0 (after reconstruction)", 87.5),
    ("w4a4-qat-1ep", "W4A4 (per-channel W, per-tensor A, min/max)", "QAT 1 epoch, KD, AdamW lr 1e-3", "88.9", 88.4),
    ("w4a4-qat-1ep-lr3e-3", "W4A4 (per-channel W, per-tensor A, min/max)", "QAT 1 epoch, KD, AdamW lr 3e-3, fixed ranges", "88.9", 88.4),
    ("w4a4-qat-1ep-ema", "W4A4 (per-channel W, per-tensor A, min/max)", "QAT 1 epoch, KD, AdamW lr 3e-3, moving-average ranges (c 0.01)", "88.9", 88.4),
    ("w4a4-qat-1ep-learned", "W4A4 (per-channel W, per-tensor A, min/max)", "QAT 1 epoch, KD, AdamW lr 3e-3, learned scales (LSQ)", "88.9", 88.4),
    ("prune25-w8a8-qat-3ep", "25 % L1 pruned + W8A8 (min/max)", "QAT 3 epochs, KD, AdamW lr 3e-3", "90.6 (after reconstruction)", 90.1),
]


def main():
    out = sys.argv[1]
    print("| design | recipe | no retraining | after, per seed (1, 2, 3) | median | target | PyTorch reference | train s/run |")
    print("|---|---|---|---|---|---|---|---|")
    for name, design, recipe, ref, target in RECIPES:
        runs = {}
        for f in sorted(glob.glob(os.path.join(out, f"{name}-s*.json"))):
            seed = int(f.rsplit("-s", 1)[1].split(".")[0])
            runs[seed] = json.load(open(f))
        if not runs:
            print(f"| {design} | {recipe} | | not run | | >= {target} | {ref} | |")
            continue
        after = [100 * runs[s]["accuracy"]["after"]["top1"] for s in sorted(runs)]
        before = 100 * next(iter(runs.values()))["accuracy"]["before"]["top1"]
        med = statistics.median(after)
        label = f"{med:.2f}" if len(after) == 3 else f"{med:.2f} ({len(after)} of 3 seeds)"
        secs = statistics.mean(r["trainSeconds"] for r in runs.values())
        if len(after) == 3:
            ok = "met" if med >= target else "NOT met"
        else:
            ok = f"{'above' if med >= target else 'below'} with {len(after)} of 3 seeds"
        print(f"| {design} | {recipe} | {before:.2f} | {', '.join(f'{a:.2f}' for a in after)} | {label} | >= {target}: {ok} | {ref} | {secs:.0f} |")


if __name__ == "__main__":
    main()
