"""Lesson 9's larger run: images per second of EfficientNet-Lite0 on this machine's CPU, by image size, for the data
loader alone, training with the body frozen, training everything (fine-tuning) and inference, each fed by the real
DataLoader (MNIST) and by one synthetic batch (the ceiling); plus the floating-point work of one image. fp32, batches
of 16, one torch thread unless OMP_NUM_THREADS says otherwise; best of 3 measurements each, by the wall clock and by
this process's CPU time. `load_avg` is the machine's 1-minute load average when each was taken: other work on the
machine slows the wall clock far more than this process's CPU time.
The table goes to nbs/results/l09_cpu_throughput.csv.

    OMP_NUM_THREADS=1 python bench/lesson09_cpu_throughput.py
"""
import os, platform
from pathlib import Path
os.environ.setdefault('TRANSFER_COURSE_PROFILE', 'small')
import pandas as pd, torch
from transfer_course.all import *
from transfer_course.scaling import throughput, loader_throughput, flops_per_image

root = Path(__file__).resolve().parents[1]
rows = []
for size in (32, 64, 128, 224):
    dls = get_dls('mnist', size=size, bs=16, device='cpu')
    learn = strategy_learner(dls, 'efficientnet_lite0')
    n = 8 if size<=64 else 4
    mf = flops_per_image(learn.model, size)/1e6
    def add(r, body):
        rows.append(dict(size=size, body=body, mflops=round(mf, 2), **r, load_avg=round(os.getloadavg()[0], 1)))
        print(rows[-1], flush=True)
    add(loader_throughput(dls.train, 2*n), '-')
    for sy in (False, True): add(throughput(learn, n, synthetic=sy, repeat=3), 'frozen')
    learn.unfreeze()
    for sy in (False, True): add(throughput(learn, n, synthetic=sy, repeat=3), 'fine-tuned')
    for sy in (False, True): add(throughput(learn, n, synthetic=sy, train=False, repeat=3), '-')
df = pd.DataFrame(rows).assign(cpu=f"{platform.machine()} {torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} thread(s)")
df.to_csv(root/'nbs'/'results'/'l09_cpu_throughput.csv', index=False)
print(df)
