"""The library's overhead: one epoch of the library (its DataLoaders, its Learner, a strategy's recipe and callbacks)
against a hand-written PyTorch loop on the same model, the same batches already in memory (normalised float tensors)
and the same precision (fp32), alternating in one run; for `full` and `frozen` fine-tuning at 64 and 128 px on the
CPU. One epoch here is a training pass over the training set plus a validation pass, in both. Also the data loader
alone (a full pass over the training loader, images per second) against the model alone (the hand loop's training).

    OMP_NUM_THREADS=1 python bench/overhead.py --label before

Writes bench/results/overhead_<label>.csv and prints a markdown table. `ratio` is the median library epoch time over
the median hand-loop epoch time by the wall clock (1.00 = no overhead); `cpu_ratio` the same by this process's CPU
time, which other work on a shared machine disturbs far less (`load_avg` says how busy the machine was). Runs on any version of the library that has `get_dls`,
`strategy_learner`, `train_frozen`/`train_full`, `History`/`FreezeLog` and `md_table`.
"""
import argparse, os, statistics, sys, time
from pathlib import Path
os.environ.setdefault('TRANSFER_COURSE_PROFILE', 'small')
import pandas as pd, torch
import torch.nn.functional as F
from transfer_course.all import *
from transfer_course.strategies import History, FreezeLog, train_frozen, train_full
import copy   # after the star import, which brings a function of that name

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--label', default='run'); p.add_argument('--dataset', default='mnist')
p.add_argument('--n-per-class', type=int, default=16); p.add_argument('--n-valid', type=int, default=4)
p.add_argument('--bs', type=int, default=32); p.add_argument('--reps', type=int, default=3)
p.add_argument('--sizes', type=int, nargs='+', default=[64, 128])
p.add_argument('--strategies', nargs='+', default=['full', 'frozen'])
p.add_argument('--loader-only', action='store_true', help='only the loader: images per second and per CPU second, best of 3 passes')
a = p.parse_args()
torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))
root = Path(__file__).resolve().parents[1]
recipes = dict(full=train_full, frozen=train_frozen)
lr = 1e-2

def plain(t): return t.as_subclass(torch.Tensor)

def lib_epoch(learn):
    "One epoch of the library: the strategy's recipe (training + validation), with the callbacks a run adds"
    hist,log = History(),FreezeLog()
    learn.add_cbs([hist, log])
    t0,c0 = time.perf_counter(),time.process_time()
    with learn.no_bar(), learn.no_logging(): recipes[strat](learn, 1, lr)
    dt,dc = time.perf_counter()-t0,time.process_time()-c0
    learn.remove_cbs([hist, log])
    return dt, dc

def hand_epoch(model, train_b, valid_b, frozen):
    "The same work written by hand: AdamW with a one-cycle schedule over the batches in memory, then validation"
    model.train()
    ps = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.AdamW(ps, lr=lr, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=len(train_b))
    t0,c0 = time.perf_counter(),time.process_time()
    for xb,yb in train_b:
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    t1 = time.perf_counter()
    model.eval(); n_ok = 0
    with torch.no_grad():
        for xb,yb in valid_b: n_ok += (model(xb).argmax(1)==yb).sum().item()
    return time.perf_counter()-t0, t1-t0, time.process_time()-c0

def loader_only():
    "Images per wall-clock and per CPU second of full passes over the training loader (normalised batches), best of 3"
    rows = []
    for size in a.sizes:
        t0 = time.perf_counter(); dls = get_dls(a.dataset, size=size, n_per_class=a.n_per_class, n_valid=a.n_valid, bs=a.bs, device='cpu', seed=0)
        t_make = time.perf_counter()-t0
        strategy_learner(dls, 'efficientnet_lite0')   # adds the backbone's normalisation
        best = (0, 0)
        for _ in range(3):
            t0,c0 = time.perf_counter(),time.process_time(); n = sum(len(y) for _,y in dls.train)
            best = max(best[0], n/(time.perf_counter()-t0)), max(best[1], n/max(time.process_time()-c0, 1e-9))
        rows.append(dict(label=a.label, size=size, get_dls_s=round(t_make, 2), loader_img_s=round(best[0], 1),
                         loader_img_cpu_s=round(best[1], 1), load_avg=round(os.getloadavg()[0], 2)))
        print(rows[-1], flush=True)
    df = pd.DataFrame(rows)
    df.to_csv(root/'bench'/'results'/f'loader_{a.label}.csv', index=False)
    print(md_table(df)); sys.exit()

if a.loader_only: loader_only()
rows = []
for size in a.sizes:
    for strat in a.strategies:
        dls = get_dls(a.dataset, size=size, n_per_class=a.n_per_class, n_valid=a.n_valid, bs=a.bs, device='cpu', seed=0)
        learn = strategy_learner(dls, 'efficientnet_lite0')   # adds the backbone's normalisation to the loaders
        t0 = time.perf_counter(); n_load = sum(len(y) for _,y in dls.train); t_load = time.perf_counter()-t0
        train_b = [(plain(x).clone(), plain(y).clone()) for x,y in dls.train]
        valid_b = [(plain(x).clone(), plain(y).clone()) for x,y in dls.valid]
        if strat=='full': learn.unfreeze()
        else: learn.freeze()
        model = copy.deepcopy(learn.model)   # the same model, the same trainable parameters
        lib,hand,hand_train,lib_c,hand_c = [],[],[],[],[]
        lib_epoch(learn)   # warm-up, both
        hand_epoch(model, train_b, valid_b, strat=='frozen')
        for r in range(a.reps):
            dt,dc = lib_epoch(learn); lib.append(dt); lib_c.append(dc)
            dt,dtt,dc = hand_epoch(model, train_b, valid_b, strat=='frozen'); hand.append(dt); hand_train.append(dtt); hand_c.append(dc)
        n_train = sum(len(y) for _,y in train_b)
        row = dict(label=a.label, strategy=strat, size=size, n_train=n_train, n_valid=sum(len(y) for _,y in valid_b),
                   lib_s=round(statistics.median(lib), 3), hand_s=round(statistics.median(hand), 3),
                   ratio=round(statistics.median(lib)/statistics.median(hand), 3),
                   lib_cpu_s=round(statistics.median(lib_c), 3), hand_cpu_s=round(statistics.median(hand_c), 3),
                   cpu_ratio=round(statistics.median(lib_c)/statistics.median(hand_c), 3),
                   lib_img_s=round(n_train/statistics.median(lib), 1), hand_img_s=round(n_train/statistics.median(hand), 1),
                   loader_img_s=round(n_load/t_load, 1), model_train_img_s=round(n_train/statistics.median(hand_train), 1),
                   load_avg=round(os.getloadavg()[0], 2))
        rows.append(row); print(row, flush=True)

df = pd.DataFrame(rows).assign(cpu=f"{torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} thread(s)")
out = root/'bench'/'results'/f'overhead_{a.label}.csv'
out.parent.mkdir(parents=True, exist_ok=True)
df.to_csv(out, index=False)
print(md_table(df.drop(columns=['label', 'cpu'])))
