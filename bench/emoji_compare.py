"""Frozen body, fine-tuning and training from scratch on the emoji drawings, at two data sizes and several seeds,
with the same strategies on LFW (faces or not): how far apart each dataset puts the strategies.

    python bench/emoji_compare.py [--ns 10 30] [--seeds 0 1 2] [--epochs 5] [--size 64] [--datasets emoji lfw]

Every run is EfficientNet-Lite0 at `--size` px with fastai's head, one learning rate (1e-2) for every strategy, scored
on a test split that no run trains or chooses on: a quarter of each class (`emoji_test_pct`), the same images for every
seed, so that strategies are compared image by image (paired tests, `transfer_course.stats.compare_table`).
Records go to results/emoji_compare/runs (a `ResultStore`: a rerun reuses finished runs). Writes
bench/results/emoji_compare.csv (one row per run) and bench/results/emoji_evidence.md (counts, splits, the tables).
"""
import argparse, sys, time
from pathlib import Path
import numpy as np, pandas as pd
from transfer_course.core import get_settings, setup_threads, md_table
from transfer_course.data import get_source, split_source, test_split
from transfer_course.emoji import emoji_counts, emoji_test_pct
from transfer_course.experiments import grid, compare, device_name, versions
from transfer_course.store import ResultStore
from transfer_course.stats import compare_table, describe

ROOT = Path(__file__).resolve().parents[1]
STRATEGIES = ['frozen', 'fine_tune', 'scratch']

def splits(name, ns, seed=0) -> pd.DataFrame:
    "Images per class in the test split (fixed), and in the validation and training splits of `seed` at each size"
    src = get_source(name); te = test_split(src, emoji_test_pct)
    rows = {'all': pd.Series(src.ys).value_counts(), 'test': pd.Series(src.ys[te]).value_counts()}
    for n in ns:
        tr,va = split_source(src, n_per_class=n, n_valid=get_settings().n_valid, seed=seed, exclude=te)
        rows[f'train ({n}/class)'] = pd.Series(src.ys[tr]).value_counts()
    rows['valid'] = pd.Series(src.ys[va]).value_counts()
    t = pd.DataFrame(rows).fillna(0).astype(int)
    t.loc['total'] = t.sum()
    return t

def spread(t) -> float:
    "Accuracy of the best strategy minus that of the worst pretrained one (scratch left out)"
    pre = t[t.label!='scratch']
    return float(pre.accuracy.max() - pre.accuracy.min())

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--ns', type=int, nargs='+', default=[10, 30]); p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--epochs', type=int, default=5); p.add_argument('--size', type=int, default=64)
    p.add_argument('--datasets', nargs='+', default=['emoji', 'lfw']); p.add_argument('--strategies', nargs='+', default=STRATEGIES)
    p.add_argument('--store', default=str(ROOT/'results'/'emoji_compare'/'runs'))
    a = p.parse_args(argv)
    setup_threads(); t0 = time.perf_counter()
    store = ResultStore(a.store)
    cfgs = [c for d in a.datasets for c in grid(a.strategies, dataset=d, n_per_class=a.ns, size=a.size, n_epoch=a.epochs,
                                                 lr=1e-2, seeds=a.seeds, test_pct=emoji_test_pct, device='cpu')]
    compare(cfgs, store, verbose=True)
    keys = {c.key for c in cfgs}
    recs = [r for r in store.records() if r['key'] in keys]
    frame = pd.DataFrame([{k:r[k] for k in ('dataset', 'n_per_class', 'strategy', 'seed', 'accuracy', 'test_accuracy',
                                            'n_test_images', 'train_seconds')} for r in recs])
    frame.sort_values(['dataset', 'n_per_class', 'strategy', 'seed']).to_csv(ROOT/'bench'/'results'/'emoji_compare.csv', index=False)
    out = [f"# Emoji: classes, splits, and frozen body vs fine-tuning vs scratch\n",
           f"Written by `python bench/emoji_compare.py {' '.join(argv if argv is not None else sys.argv[1:])}` "
           f"({device_name('cpu')}; torch {versions()['torch']}, fastai {versions()['fastai']}; "
           f"{(time.perf_counter()-t0)/60:.0f} min, finished runs reused). EfficientNet-Lite0, {a.size} px, "
           f"{a.epochs} epochs, lr 1e-2, fastai's head; seeds {', '.join(map(str, a.seeds))}. Intervals are 95%, over seeds "
           "and test images; groups come from paired, Holm-corrected tests against the best (`compare_table`).\n",
           "## Classes in each style\n", md_table(emoji_counts().drop(columns='subgroups').reset_index()), "",
           f"## Splits (colour; test split fixed for every seed, validation and training shown for seed {a.seeds[0]})\n",
           md_table(splits('emoji', a.ns, a.seeds[0]).reset_index(names='class')), ""]
    tables = {}
    for d in a.datasets:
        for n in a.ns:
            rs = [r for r in recs if r['dataset']==d and r['n_per_class']==n]
            t = tables[d, n] = compare_table(rs)
            out += [f"## {d}, {n} training images per class\n",
                    md_table(t[['label', 'accuracy', 'lo', 'hi', 'diff_vs_best', 'diff_lo', 'diff_hi', 'group']].round(3)), "",
                    describe(t), ""]
    out += ["## How far apart each dataset puts the strategies\n",
            "Accuracy of each strategy (mean over seeds, test split); *spread*: the best pretrained strategy minus the "
            "worst pretrained one; *over scratch*: the best minus scratch.\n"]
    rows = [dict(dataset=d, n_per_class=n, **t.set_index('label').accuracy.round(3).to_dict(), spread=round(spread(t), 3),
                 over_scratch=round(t.accuracy.max() - t.set_index('label').accuracy.get('scratch', np.nan), 3),
                 n_test=t.attrs['n_images'], groups=', '.join(f"{r.label}: {r.group}" for r in t.itertuples()))
            for (d,n),t in tables.items()]
    out += [md_table(pd.DataFrame(rows)), ""]
    (ROOT/'bench'/'results'/'emoji_evidence.md').write_text('\n'.join(out))
    print('\n'.join(out))

if __name__ == '__main__': main()
