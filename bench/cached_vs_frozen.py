"""Cached features against frozen-body training: the same data, the same epochs, measured in one run.

Frozen-body training pushes every image through the pretrained body in every epoch; the cached-features strategy runs
the body once, in eval mode, and trains a classifier on the stored features. This measures both, and the ratio of their
training times (wall and CPU seconds). The frozen body's cost grows with the epochs and the cached one's hardly does, so
the ratio depends on the number of epochs: this is measured at 10. Against `frozen_bn`, the same model trained on the
images, the ratio cannot much exceed the number of epochs (that model runs the body over the training and validation
images once per epoch, the cached strategy once in all); against fastai's `frozen`, whose BatchNorm layers train, it
also saves the backward pass through the body.

    python bench/cached_vs_frozen.py [--dataset mnist] [--n-per-class 200] [--n-valid 100] [--size 64] [--epochs 10]

Writes bench/results/cached_vs_frozen.json and .md (numbers from this run only).
"""
import argparse, json, sys
from pathlib import Path
from transfer_course.core import get_settings, setup_threads, md_table
from transfer_course.experiments import RunConfig, run_experiment, device_name, versions
import pandas as pd

RUNS = [('frozen', 'fastai', "frozen body, fastai's default (BatchNorm trains), fastai head"),
        ('frozen_bn', 'gap_dense', "frozen body with BatchNorm frozen, linear head: the same model as cached_linear"),
        ('cached_linear', 'fastai', "cached features, linear head (PyTorch), same epochs"),
        ('cached_logreg', 'fastai', "cached features, logistic regression (scikit-learn)")]

def _rel(p):
    "`p` relative to the repository when it is inside it, so results name no machine's folders"
    p,root = Path(p).resolve(),Path(__file__).resolve().parents[1]
    return str(p.relative_to(root)) if p.is_relative_to(root) else str(p)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--dataset', default='mnist'); p.add_argument('--backbone', default='efficientnet_lite0')
    p.add_argument('--n-per-class', type=int, default=200); p.add_argument('--n-valid', type=int, default=100)
    p.add_argument('--size', type=int, default=64); p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--lr', type=float, default=3e-3); p.add_argument('--bs', type=int, default=64)
    p.add_argument('--seed', type=int, default=42); p.add_argument('--device', default='cpu')
    p.add_argument('--out', default=str(Path(__file__).parent/'results'/'cached_vs_frozen'))
    a = p.parse_args(argv)
    setup_threads()
    rows = []
    for strategy,head,what in RUNS:
        cfg = RunConfig(strategy, a.backbone, a.dataset, a.n_per_class, a.size, a.epochs, a.lr, a.seed, head=head, bs=a.bs,
                        n_valid=a.n_valid, device=a.device)
        r = run_experiment(cfg)
        rows.append(dict(strategy=strategy, head=head, what=what, accuracy=round(r['accuracy'], 4), train_seconds=r['train_seconds'],
                         cpu_seconds=r['cpu_seconds'],
                         images_per_second=r['images_per_second'], n_trainable=r['n_trainable'], peak_rss_mb=r['peak_rss_mb']))
        print(f"{strategy:14s} {head:10s} accuracy {r['accuracy']:.4f}  {r['train_seconds']:7.1f} s", file=sys.stderr, flush=True)
    df = pd.DataFrame(rows)
    t,c = df.set_index('strategy').train_seconds,df.set_index('strategy').cpu_seconds
    acc = df.set_index('strategy').accuracy
    summary = dict(speedup_vs_frozen=round(t['frozen']/t['cached_linear'], 1), speedup_vs_frozen_bn=round(t['frozen_bn']/t['cached_linear'], 1),
                   cpu_speedup_vs_frozen=round(c['frozen']/c['cached_linear'], 1), cpu_speedup_vs_frozen_bn=round(c['frozen_bn']/c['cached_linear'], 1),
                   accuracy_points_vs_frozen=round(100*(acc['cached_linear']-acc['frozen']), 2),
                   accuracy_points_vs_frozen_bn=round(100*(acc['cached_linear']-acc['frozen_bn']), 2))
    cfg = {**vars(a), 'out': _rel(a.out)}
    res = dict(config=cfg, device=device_name(a.device), versions=versions(), runs=rows, summary=summary)
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix('.json').write_text(json.dumps(res, indent=1))
    md = (f"# Cached features vs frozen-body training\n\n{a.dataset}, {a.n_per_class} training and {a.n_valid} validation images per class, "
          f"{a.size} px, {a.epochs} epochs, lr {a.lr}, batch size {a.bs}, on {res['device']}.\n\n{md_table(df)}\n\n"
          + '\n'.join(f"- {k}: {v}" for k,v in summary.items()) + '\n')
    out.with_suffix('.md').write_text(md)
    print(md)

if __name__ == '__main__': main()
