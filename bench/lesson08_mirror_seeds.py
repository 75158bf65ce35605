"""Lesson 8's negative-transfer claim over seeds, on a test set that no choice sees: on the mirror task (is a digit
mirrored?), a frozen ImageNet body with a linear probe (LP) against the same network trained from scratch, and fine-tuned
from ImageNet (FT, with --ft), at 400 training images per class, the size where lesson 8's saved run saw scratch overtake LP.

The task's images are fixed (which digits are mirrored is drawn once, with seed 0); each seed draws its own training and
validation images and initialises the runs; the test set (150 images per class) is the same for every seed. 32 px,
6 epochs, batch size 32, lr 0.01 (scratch 0.003), as in bench/lesson08_mirror.py.

    OMP_NUM_THREADS=1 python bench/lesson08_mirror_seeds.py [--seeds 1 7 123] [--n-per-class 400] [--ft]

Writes nbs/results/l08_mirror_seeds.json: one record per run, with per-image test outcomes (`compare_table` reads them).
"""
import argparse, json, sys, time
from pathlib import Path
import numpy as np
from transfer_course.all import *
sys.path.insert(0, str(Path(__file__).resolve().parent))
from lesson08_mirror import mirror_source, RUNS

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--seeds', type=int, nargs='+', default=[1, 7, 123]); p.add_argument('--n-per-class', type=int, default=400)
p.add_argument('--ft', action='store_true', help='also fine-tune from ImageNet')
a = p.parse_args()
setup_threads()
out = Path(__file__).resolve().parents[1]/'nbs'/'results'/'l08_mirror_seeds.json'
recs = json.loads(out.read_text()) if out.exists() else []
done = {(r['strategy'], r['seed'], r['n_per_class']) for r in recs}
src = mirror_source(0)
for seed in a.seeds:
    dls = get_dls(src, size=32, n_per_class=a.n_per_class, n_valid=150, test_pct=0.2, n_test=150, seed=seed, bs=32)
    for name,(pretrained,recipe,train_bn) in RUNS.items():
        if (name=='FT' and not a.ft) or (name, seed, a.n_per_class) in done: continue
        seed_everything(seed)
        learn = strategy_learner(dls, pretrained=pretrained, head='gap_dense', train_bn=train_bn)
        t0 = time.process_time()
        with learn.no_bar(), learn.no_logging(): recipe(learn, 6, 3e-3 if name=='scratch' else 1e-2)
        with learn.no_bar():
            acc = float(learn.validate()[1])
            pt,yt = learn.get_preds(dl=dls.loaders[2])
        pred = pt.argmax(1).numpy()
        recs.append(dict(strategy=name, seed=seed, n_per_class=a.n_per_class, accuracy=acc, test_accuracy=float((pred==yt.numpy()).mean()),
                         n_valid_images=dls.info['n_valid'], n_test_images=len(yt), cpu_seconds=round(time.process_time()-t0, 1),
                         outcomes=dict(test=dict(idx=[int(i) for i in dls.split['test']], y=yt.tolist(), pred=pred.tolist()))))
        print({k:v for k,v in recs[-1].items() if k!='outcomes'}, flush=True)
        out.write_text(json.dumps(recs, separators=(',', ':')))
