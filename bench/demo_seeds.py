"""`make demo`'s comparison (four strategies on MNIST, 100 training digits per class, 32 px, 3 epochs, 1,000 test digits)
at 1 seed and at 5 seeds: how the intervals and groups change with more seeds. The test digits are the same for every
seed; each seed draws its own training and validation digits and initial weights.

    PYTHONPATH=. OMP_NUM_THREADS=1 python bench/demo_seeds.py [--out results/compare]"""
import argparse, time
from pathlib import Path
from transfer_course.experiments import grid, compare
from transfer_course.store import ResultStore
from transfer_course.core import md_table
from transfer_course.reporting import strategy_table, describe_table, intervals_frame, protocol
from transfer_course.stats import outcome_matrix, paired

STRATEGIES = ['cached_logreg', 'frozen', 'fine_tune', 'scratch']   # as in the Makefile's demo target
SEEDS = [42, 1, 7, 123, 2024]

def paired_row(recs, seeds, pairs) -> dict:
    "One row of the paired-differences table: each pair's difference [interval] and p over `seeds`"
    o = outcome_matrix([r for r in recs if r['seed'] in seeds], by='strategy', split='test')
    cells = {f'{a} − {b}': paired(o.correct[a], o.correct[b]) for a,b in pairs}
    return {'seeds': ', '.join(map(str, seeds)), **{k: f'{r.diff:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}] p={r.p:.2g}' for k,r in cells.items()}}

def table(recs) -> str:
    st = strategy_table(recs)
    return '\n'.join(describe_table(st)) + '\n\n' + protocol(recs) + '\n\n' + md_table(intervals_frame(st))

if __name__=='__main__':
    p = argparse.ArgumentParser(); p.add_argument('--out', default='results/compare')
    a = p.parse_args(); store = ResultStore(Path(a.out)/'runs')
    t0 = time.perf_counter()
    cfgs = grid(STRATEGIES, dataset='mnist', n_per_class=100, size=32, seeds=SEEDS)
    compare(cfgs, store)
    recs = [store.get(c.key) for c in cfgs]
    print(f"({time.perf_counter()-t0:.0f} s)\n")
    for seeds in (SEEDS[:1], SEEDS):
        print(f"### {len(seeds)} seed(s): {', '.join(map(str, seeds))}\n\n" + table([r for r in recs if r['seed'] in seeds]) + '\n')
    # the trained networks against each other, seed by seed and over all seeds: what one seed would have concluded
    pairs = [('fine_tune', 'frozen'), ('fine_tune', 'scratch'), ('frozen', 'scratch')]
    print('### Paired differences between the trained networks (test accuracy, 95% interval, p)\n')
    print(md_table([paired_row(recs, seeds, pairs) for seeds in [[s] for s in SEEDS] + [SEEDS]]))
