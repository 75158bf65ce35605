"""The 13-strategy lfw comparison, read with the report's statistics: the saved table of the comparison that `make demo`
used to run (nbs/results/compare_lfw.csv: one seed, 40 validation images, no per-image outcomes, so Wilson intervals
only), and the same comparison run again at the default small settings, which now keeps a test set and per-image
outcomes, so that every strategy is compared with the best by a paired test.

    PYTHONPATH=. OMP_NUM_THREADS=1 python bench/lfw_reread.py [--out bench/results/lfw_reread]"""
import argparse, time
from pathlib import Path
import pandas as pd
from transfer_course.experiments import grid, compare
from transfer_course.store import ResultStore
from transfer_course.core import md_table
from transfer_course.plots import accuracy_points
from transfer_course.reporting import strategy_table, describe_table, intervals_frame, write_report
from transfer_course.stats import compare_table, describe

ROOT = Path(__file__).resolve().parents[1]

def saved_table() -> tuple:
    "The saved lfw comparison: 1 seed, 20 validation faces and 20 non-faces (the small profile's split of lfw's 200 images)"
    df = pd.read_csv(ROOT/'nbs/results/compare_lfw.csv').assign(n_valid_images=40)
    t = compare_table(df.to_dict('records'), split='valid')
    return t, describe(t)

if __name__=='__main__':
    p = argparse.ArgumentParser(); p.add_argument('--out', default=str(ROOT/'bench/results/lfw_reread'))
    a = p.parse_args(); out = Path(a.out)
    t,s = saved_table()
    print('## Saved table (nbs/results/compare_lfw.csv), re-read\n\n' + s + '\n\n' +
          md_table(t[['label', 'accuracy', 'lo', 'hi', 'n_images', 'group']].round(3)) + '\n')
    t0 = time.perf_counter()
    cfgs = grid(dataset='lfw', seeds=42)   # every strategy, the small profile's defaults, a test set (test_pct=0.2)
    compare(cfgs, ResultStore(out/'runs'))
    recs = [ResultStore(out/'runs').get(c.key) for c in cfgs]
    rep = write_report(recs, out, title='Transfer strategies on lfw, rerun with a test set')
    st = strategy_table(recs)
    print(f'## Rerun at the default small settings ({time.perf_counter()-t0:.0f} s)\n\n' + '\n'.join(describe_table(st)) + '\n\n' + md_table(intervals_frame(st)))
