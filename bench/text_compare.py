"""Lesson 11's full comparison: every text strategy on WordNet definitions, at two training-set sizes, over seeds.

    python bench/text_compare.py [--n-per-class 20 100] [--epochs 5 3] [--seeds 0 1 2] [--max-length 64]

Eight WordNet noun categories (`wordnet_source()`), the same 800 test definitions (100 per category) and 200 validation
definitions (25 per category) for every run; each seed draws its own training definitions. Strategies: TF-IDF +
logistic regression, cached sentence embeddings + logistic regression, frozen encoder + head, partial fine-tuning
(top two blocks), discriminative fine-tuning, gradual unfreezing, and the same transformer from random weights; each
with its default learning rate (`text_strategies`). `--epochs` gives the epochs for each size, in order.

Every finished run is kept in a result store (default: the settings' results path, `text_compare/runs`), so a rerun
resumes. Writes nbs/results/text_compare.csv: per size and strategy, the test accuracy with its interval over seeds and
test items, the paired, Holm-corrected comparison with the best (`transfer_course.stats.compare_table`), the mean
validation accuracy, and the mean training and CPU seconds of a run.
"""
import argparse, os, sys, time, uuid
from pathlib import Path
import numpy as np, pandas as pd
from transfer_course.core import get_settings, setup_threads, InputError
from transfer_course.text import text_compare, text_strategies, wordnet_source
from transfer_course.stats import compare_table, describe

def size_table(recs:list) -> pd.DataFrame:
    "The comparison of one training-set size: `compare_table` on the test split, with mean times and validation accuracy"
    t = compare_table(recs).rename(columns=dict(label='strategy'))
    r = pd.DataFrame(recs).groupby('strategy').agg(valid_accuracy=('accuracy', 'mean'), train_seconds=('train_seconds', 'mean'),
                                                   cpu_seconds=('cpu_seconds', 'mean'), n_epoch=('n_epoch', 'first'), lr=('lr', 'first'))
    return t.join(r, on='strategy').assign(n_per_class=recs[0]['n_per_class'], max_length=recs[0]['max_length'],
                                           device=recs[0]['device_name'])

def write_atomic(df:pd.DataFrame, f:Path):
    "Write `df` to `f` through a temporary file, so a reader never sees half a table"
    tmp = f.with_name(f'.{f.name}.{uuid.uuid4().hex}.tmp')
    try: df.to_csv(tmp, index=False, float_format='%.4g'); os.replace(tmp, f)
    finally: tmp.unlink(missing_ok=True)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--n-per-class', type=int, nargs='+', default=[20, 100]); p.add_argument('--epochs', type=int, nargs='+', default=[5, 3])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2]); p.add_argument('--strategies', nargs='+', default=list(text_strategies))
    p.add_argument('--n-valid', type=int, default=25); p.add_argument('--n-test', type=int, default=100)
    p.add_argument('--max-length', type=int, default=64); p.add_argument('--bs', type=int, default=16)
    p.add_argument('--store', default=str(get_settings().results_path/'text_compare'/'runs'))
    p.add_argument('--out', default=str(Path(__file__).resolve().parents[1]/'nbs'/'results'/'text_compare.csv'))
    a = p.parse_args(argv)
    if len(a.epochs)!=len(a.n_per_class): raise InputError(f"--epochs needs one value per --n-per-class size: got {a.epochs} for {a.n_per_class}.")
    setup_threads()
    src,tables,t0 = wordnet_source(),[],time.perf_counter()
    for n,ep in zip(a.n_per_class, a.epochs):
        recs = text_compare(a.strategies, [n], a.seeds, src, n_epoch=ep, n_valid=a.n_valid, n_test=a.n_test,
                            max_length=a.max_length, bs=a.bs, store=a.store)
        tables.append(size_table(recs))
        print(f"{n} per class: {describe(compare_table(recs))}", file=sys.stderr, flush=True)
        write_atomic(pd.concat(tables, ignore_index=True), Path(a.out))
    print(f"{(time.perf_counter()-t0)/60:.1f} minutes", file=sys.stderr)
    print(pd.concat(tables)[['n_per_class', 'strategy', 'accuracy', 'lo', 'hi', 'group', 'train_seconds']].round(3).to_string(index=False))

if __name__ == '__main__': main()
