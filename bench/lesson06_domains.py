"""Lesson 6's near and far domains over seeds: with 10 training images per class, cached features + logistic regression
(`cached_logreg`), full fine-tuning (`full`) and training from scratch (`scratch`), on two near domains (lfw photos,
emoji colour drawings) and two far ones (mnist digits, fashion_mnist clothes). Lite0, 64 px, 3 epochs, learning rate
0.01 (lesson 6's grid), 30 validation images per class, a test set of at most 30 images per class that no choice sees
(the same for every seed), seeds 1, 7 and 123.

    OMP_NUM_THREADS=1 python bench/lesson06_domains.py           # two at once share the store and the work
    OMP_NUM_THREADS=1 python bench/lesson06_domains.py --write   # only write the table of the runs finished so far

Finished runs are kept in results/l06_domains/runs (a rerun resumes); the records, with per-image test outcomes, go to
nbs/results/l06_domains.json.
"""
import os, sys, json
from pathlib import Path
os.environ.setdefault('TRANSFER_COURSE_PROFILE', 'small')
from transfer_course.all import *

root = Path(__file__).resolve().parents[1]
datasets_ = ['lfw', 'emoji', 'mnist', 'fashion_mnist']
common = dict(n_per_class=10, n_epoch=3, lr=1e-2, seeds=[1, 7, 123], device='cpu', test_pct=0.2, n_test=30)
cfgs = [c for st in ('cached_logreg', 'full', 'scratch') for d in datasets_ for c in grid(st, dataset=d, **common)]
store = ResultStore(root/'results'/'l06_domains'/'runs')
if '--write' not in sys.argv: compare(cfgs, store)

keep = ['key', 'strategy', 'backbone', 'dataset', 'n_per_class', 'size', 'n_epoch', 'lr', 'seed', 'accuracy', 'test_accuracy',
        'n_valid_images', 'n_test_images', 'n_trainable', 'n_steps', 'train_seconds', 'cpu_seconds']
recs = [store.get(c.key) for c in cfgs if c.key in store]
n_seeds = len(common['seeds'])
whole = {g for g,n in pd.Series([(r['dataset'], r['strategy']) for r in recs]).value_counts().items() if n==n_seeds}
recs = [r for r in recs if (r['dataset'], r['strategy']) in whole]   # only strategies with every seed: paired tests need them
slim = [dict({k:r[k] for k in keep}, outcomes=dict(test={k:r['outcomes']['test'][k] for k in ('idx', 'y', 'pred')})) for r in recs]
out = root/'nbs'/'results'/'l06_domains.json'
out.write_text(json.dumps(slim, separators=(',', ':')))
print(records_frame(recs).groupby(['dataset', 'strategy'])[['accuracy', 'test_accuracy', 'train_seconds']].mean().round(3))
print(f"{out}: {out.stat().st_size/1e3:.0f} kB, {len(recs)} of {len(cfgs)} runs (dataset and strategy with every seed)")
