"""Lesson 8's bigger run: negative transfer on a task ImageNet features are nearly blind to (is a digit mirrored?).

    python bench/lesson08_mirror.py [--n-per-class 100 400 1000] [--epochs 6] [--size 32] [--seeds 42]

The task: MNIST digits 2, 3, 4, 5, 6, 7 and 9 (whose mirror images differ clearly), a random half of them mirrored
left-right; the label says which. EfficientNet-Lite0 with a linear head on pooled features (`gap_dense`), trained
three ways for the same epochs: LP (ImageNet body and BatchNorm frozen, `train_frozen_bn`), FT (ImageNet weights, all
trained, `train_discriminative`) and scratch (random weights, all trained, `train_scratch` at --scratch-lr).

Writes nbs/results/l08_mirror.csv (one row per run) and nbs/results/l08_mirror.json (settings).
"""
import argparse, json, sys, time
from pathlib import Path
import numpy as np, pandas as pd
from transfer_course.all import *
from transfer_course.shift import *
from transfer_course.experiments import device_name, versions

def mirror_source(seed:int) -> ImageSource:
    "MNIST digits with clearly chiral shapes, a random half mirrored; labelled 'mirrored' or 'original'"
    src = mnist_source()
    keep = np.flatnonzero(np.isin(src.ys, list('2345679')))
    flip = np.random.default_rng(seed).random(len(keep)) < 0.5
    xs = src.xs[keep].copy()
    xs[flip] = corrupt(xs[flip], 'mirror')
    return ImageSource(xs, np.where(flip, 'mirrored', 'original'), name='mirror')

RUNS = dict(LP=(True, train_frozen_bn, False), FT=(True, train_discriminative, True), scratch=(False, train_scratch, True))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--n-per-class', type=int, nargs='+', default=[100, 400, 1000]); p.add_argument('--n-valid', type=int, default=150)
    p.add_argument('--size', type=int, default=32); p.add_argument('--epochs', type=int, default=6)
    p.add_argument('--lr', type=float, default=1e-2); p.add_argument('--scratch-lr', type=float, default=3e-3)
    p.add_argument('--bs', type=int, default=32); p.add_argument('--seeds', type=int, nargs='+', default=[42])
    p.add_argument('--out', default=str(Path(__file__).resolve().parents[1]/'nbs'/'results'))
    a = p.parse_args(argv)
    setup_threads()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    rows,t_start = [],time.perf_counter()
    for seed in a.seeds:
        src = mirror_source(seed)
        for n in a.n_per_class:
            dls = get_dls(src, size=a.size, n_per_class=n, n_valid=a.n_valid, seed=seed, bs=a.bs)
            for name,(pretrained,recipe,train_bn) in RUNS.items():
                seed_everything(seed)
                learn = strategy_learner(dls, pretrained=pretrained, head='gap_dense', train_bn=train_bn)
                t0 = time.process_time()
                with learn.no_bar(), learn.no_logging(): recipe(learn, a.epochs, a.scratch_lr if name=='scratch' else a.lr)
                with learn.no_bar(): acc = float(learn.validate()[1])
                rows.append(dict(seed=seed, n_per_class=n, strategy=name, accuracy=round(acc, 4), cpu_seconds=round(time.process_time()-t0, 1)))
                print(rows[-1], file=sys.stderr, flush=True)
                pd.DataFrame(rows).to_csv(out/'l08_mirror.csv', index=False)
    settings = dict(command='python bench/lesson08_mirror.py ' + ' '.join(argv if argv is not None else sys.argv[1:]), **vars(a),
                    device=device_name('cpu'), versions=versions(), total_minutes=round((time.perf_counter()-t_start)/60, 1))
    settings.pop('out')
    (out/'l08_mirror.json').write_text(json.dumps(settings, indent=1))
    print(pd.DataFrame(rows).pivot_table(index='n_per_class', columns='strategy', values='accuracy').round(3))

if __name__ == '__main__': main()
