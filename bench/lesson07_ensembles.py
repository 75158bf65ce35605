"""Lesson 7's larger run: the library's `ensemble` and `concat` strategies against each backbone alone (`frozen`,
`cached_logreg`), on MNIST at the small profile's image size, epochs and validation set, with 40 training images per
class (three seeds) and 100 (one seed), on this machine. Finished runs are kept in results/l07/runs (a rerun resumes);
the table goes to nbs/results/l07_compare.csv.

    OMP_NUM_THREADS=1 python bench/lesson07_ensembles.py
"""
import os
from pathlib import Path
os.environ.setdefault('TRANSFER_COURSE_PROFILE', 'small')
from transfer_course.all import *

root = Path(__file__).resolve().parents[1]
strategies = ['frozen', 'cached_logreg', 'ensemble', 'concat']
cfgs = (grid(strategies, offline_backbones(), 'mnist', n_per_class=40, seeds=[1, 2, 3], device='cpu') +
        grid(strategies, offline_backbones(), 'mnist', n_per_class=100, seeds=[1], device='cpu'))
df = compare(cfgs, ResultStore(root/'results'/'l07'/'runs'))
cols = ['strategy', 'backbone', 'n_per_class', 'seed', 'accuracy', 'train_seconds', 'n_params', 'n_trainable', 'images_per_second']
df[cols].to_csv(root/'nbs'/'results'/'l07_compare.csv', index=False)
print(df.groupby(['n_per_class', 'strategy', 'backbone']).accuracy.agg(['mean', 'std']).round(3))
