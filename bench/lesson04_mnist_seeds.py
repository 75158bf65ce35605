"""Lessons 4 and 6's shared evidence on a far domain: does fine-tuning beat cached features on MNIST digits, and what
decides it? Lite0, 64 px, 40 training digits per class, 30 validation digits per class (the small profile), a test set
of 50 digits per class that no choice sees (the same for every seed), seeds 1, 7 and 123, and two budgets: 3 epochs
(the small profile, lesson 6's grid) and 10 (lesson 4's longer run). Full fine-tuning's learning rate is chosen on
validation accuracy from `lr_grid` (`lr='auto'`, `select_on_valid`) at each budget; `frozen_bn` and `fine_tune` run at
the course's 0.01, `cached_logreg` has no learning rate (a logistic regression fitted to convergence).

    OMP_NUM_THREADS=1 python bench/lesson04_mnist_seeds.py    # run it twice at once to use two cores: they share the store
    OMP_NUM_THREADS=1 python bench/lesson04_mnist_seeds.py --write   # only write the table of the runs finished so far

Finished runs are kept in results/l04_seeds/runs (a rerun resumes). Every record goes to
nbs/results/l04_mnist_seeds.json: per-image test outcomes for the runs at the chosen learning rates, summaries for all.
"""
import os, json, sys
from pathlib import Path
os.environ.setdefault('TRANSFER_COURSE_PROFILE', 'small')
from transfer_course.all import *

root = Path(__file__).resolve().parents[1]
seeds = [1, 7, 123]
common = dict(dataset='mnist', n_per_class=40, seeds=seeds, device='cpu', test_pct=0.2, n_test=50)
cfgs = (grid('cached_logreg', n_epoch=3, **common) +         # cheapest and most informative first: a rerun resumes,
        grid('full', n_epoch=10, lr=1e-2, **common) +          # and the table is written from whatever has finished
        [c for x in reversed(lr_grid) for c in grid('full', n_epoch=3, lr=x, **common)] +   # lr='auto', one rate at a time
        grid('full', n_epoch=10, lr=[3e-3, 1e-3], **common) +
        grid('frozen_bn', n_epoch=3, **common) +
        grid('frozen_bn', n_epoch=10, **common) +
        grid('fine_tune', n_epoch=10, **common))
write_only = '--write' in sys.argv
store = ResultStore(root/'results'/'l04_seeds'/'runs')
if not write_only: compare(cfgs, store)

keep = ['key', 'strategy', 'backbone', 'dataset', 'n_per_class', 'size', 'n_epoch', 'lr', 'seed', 'accuracy', 'test_accuracy',
        'n_valid_images', 'n_test_images', 'n_trainable', 'n_steps', 'n_seen', 'train_seconds', 'cpu_seconds']
def slim(r, chosen):
    "The fields a lesson reads; per-image test outcomes (index, label, prediction) only for runs at a chosen learning rate"
    d = {k:r[k] for k in keep}
    if chosen: d['outcomes'] = dict(test={k:r['outcomes']['test'][k] for k in ('idx', 'y', 'pred')})
    return d

recs = [store.get(c.key) for c in cfgs if c.key in store]
whole = {g for g,n in pd.Series([(r['strategy'], r['n_epoch'], r['lr']) for r in recs]).value_counts().items() if n==len(seeds)}
recs = [r for r in recs if (r['strategy'], r['n_epoch'], r['lr']) in whole]   # a learning rate is compared only once every seed ran it
chosen = set()
for n in (3, 10): chosen |= {r['key'] for r in select_on_valid([r for r in recs if r['n_epoch']==n])}
out = root/'nbs'/'results'/'l04_mnist_seeds.json'
out.write_text(json.dumps([slim(r, r['key'] in chosen) for r in recs], separators=(',', ':')))
df = records_frame(recs)
print(df.groupby(['n_epoch', 'strategy', 'lr'])[['accuracy', 'test_accuracy', 'train_seconds']].mean().round(3))
print(f"{out}: {out.stat().st_size/1e3:.0f} kB")
