"""Images per second of EfficientNet-Lite0 at 224 px on one CUDA GPU: the model alone on a synthetic batch already on
the GPU (the ceiling: a plain PyTorch training step), against training end to end through the library (its
DataLoaders with the decoded-once cache, its Learner, a run's callbacks), for frozen and full fine-tuning, in fp32
and in bf16 with channels-last, with and without `torch.compile`. `ratio` = end to end / ceiling.
Sized to finish within about 5 minutes on one GPU (MNIST's 5,000 digits, decoded once at 224 px).

    python bench/gpu_throughput.py                 # writes bench/results/gpu_throughput.csv
    python bench/gpu_throughput.py --device cpu --size 32 --bs 16 --epochs 1 --no-compile --out /tmp/x.csv   # a smoke test

On a machine without CUDA (and no --device cpu) it says so and exits with status 2, measuring nothing.
"""
import argparse, os, sys, time
from pathlib import Path
import torch

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--device', default='cuda'); p.add_argument('--size', type=int, default=224)
p.add_argument('--bs', type=int, default=128); p.add_argument('--epochs', type=int, default=3)
p.add_argument('--n-batches', type=int, default=20, help='timed batches of the ceiling')
p.add_argument('--dataset', default='mnist'); p.add_argument('--no-compile', action='store_true')
p.add_argument('--budget', type=float, default=270, help='seconds after which the torch.compile rows are skipped')
p.add_argument('--out', default=str(Path(__file__).resolve().parent/'results'/'gpu_throughput.csv'))
a = p.parse_args()
if a.device.startswith('cuda') and not torch.cuda.is_available():
    print("bench/gpu_throughput.py: no CUDA GPU is available on this machine, so nothing was measured. Run it on a "
          "machine with an NVIDIA GPU (or pass --device cpu for a smoke test of the script).", file=sys.stderr)
    sys.exit(2)

os.environ.setdefault('TRANSFER_COURSE_PROFILE', 'full')
import platform
import pandas as pd
import torch.nn.functional as F
from fastai.vision.all import Callback
from transfer_course.all import *
from transfer_course.strategies import History, FreezeLog
import copy   # after the star import, which brings a function of that name

T0 = time.perf_counter()
dev = torch.device(a.device)
cuda = dev.type=='cuda'
def sync():
    if cuda: torch.cuda.synchronize()

def ceiling(model, xb, yb, bf16, cl, n, warmup=5) -> float:
    "Images per second of plain PyTorch training steps (AdamW) of `model` on the one batch `xb`, `yb` already on the device"
    ps = [q for q in model.parameters() if q.requires_grad]
    opt = torch.optim.AdamW(ps, lr=1e-4)
    if cl: xb = xb.contiguous(memory_format=torch.channels_last)
    model.train()
    for i in range(warmup+n):
        if i==warmup: sync(); t0 = time.perf_counter()
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(model(xb).float(), yb)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    sync()
    return n*len(xb)/(time.perf_counter()-t0)

class EpochTimer(Callback):
    "Wall-clock seconds and images of each training pass (data loading and every callback included)"
    order = -100
    def __init__(self): self.runs = []
    def before_train(self): sync(); self.t0,self.n = time.perf_counter(),0
    def after_batch(self):
        if self.training: self.n += len(self.yb[0])
    def after_train(self): sync(); self.runs.append((self.n, time.perf_counter()-self.t0))

t = time.perf_counter()
dls = get_dls(a.dataset, size=a.size, n_per_class=0, n_valid=20, bs=a.bs, device=a.device, workers='auto', test_pct=0.)
decode_s = time.perf_counter()-t
print(f"{a.dataset}: {dls.info['n_train']} training images decoded at {a.size} px in {decode_s:.1f} s "
      f"({resolve_workers('auto', a.device)} threads)", flush=True)

rows = []
variants = [('fp32', False, False), ('bf16', True, False), ('bf16', True, True)]
for strat in ('frozen', 'full'):
    for prec,cl,comp in variants:
        if comp and (a.no_compile or time.perf_counter()-T0>a.budget): continue
        bf16 = prec=='bf16'
        learn = strategy_learner(dls, 'efficientnet_lite0', precision=prec if cuda else 'fp32', channels_last=cl and cuda)
        learn.freeze() if strat=='frozen' else learn.unfreeze()
        xb,yb = [o.as_subclass(torch.Tensor) for o in dls.train.one_batch()]
        m = copy.deepcopy(learn.model)
        if cl: m = m.to(memory_format=torch.channels_last)
        if comp: m.compile(); learn.model.compile()
        err = ''
        try:
            ceil = ceiling(m, xb, yb, bf16, cl, a.n_batches)
            timer = EpochTimer()
            learn.add_cbs([History(), FreezeLog(), timer])
            with learn.no_bar(), learn.no_logging():
                for _ in range(a.epochs): learn.fit(1, 1e-4)
            n,sec = max(timer.runs[1:] or timer.runs, key=lambda r: r[0]/r[1])   # the first pass warms up
            e2e = n/sec
        except Exception as e: ceil,e2e,err = float('nan'),float('nan'),f"{type(e).__name__}: {e}"[:200]
        rows.append(dict(strategy=strat, precision=prec, channels_last=cl, compile=comp, size=a.size, bs=a.bs,
                         ceiling_img_s=round(ceil, 1), end_to_end_img_s=round(e2e, 1), ratio=round(e2e/ceil, 3),
                         error=err, elapsed_s=round(time.perf_counter()-T0, 1)))
        print(rows[-1], flush=True)
        del learn, m
        if cuda: torch.cuda.empty_cache()

name = torch.cuda.get_device_name(dev) if cuda else f"{platform.machine()} CPU"
df = pd.DataFrame(rows).assign(device=name, torch=torch.__version__, decode_s=round(decode_s, 1))
Path(a.out).parent.mkdir(parents=True, exist_ok=True)
df.to_csv(a.out, index=False)
print(md_table(df.drop(columns=['device', 'torch'])))
print(f"{name}; {time.perf_counter()-T0:.0f} s in all -> {a.out}")
