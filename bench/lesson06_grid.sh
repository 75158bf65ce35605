#!/usr/bin/env bash
# Lesson 6's measured grid: every strategy on a near domain (lfw: faces vs background photos) and a far one (mnist
# digits), with 10 and 50 training images per class, plus a second far domain (fashion_mnist clothes) with 10 per class;
# EfficientNet-Lite0, 64 px, 3 epochs, base learning rate 0.01, seed 42, the small profile's validation set (30 images
# per class; 20 on lfw, which has 100 per class in all) and batch size (16), on the CPU with one torch thread.
# Run from the repository: `bash bench/lesson06_grid.sh`. Resumable: run it again and finished runs are reused.
# Each dataset's table is copied to nbs/results/l06_<dataset>.csv, which lesson 6 reads.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=1 TRANSFER_COURSE_PROFILE=small
grid() {  # dataset, then training images per class
  local ds=$1; shift
  .venv/bin/transfer-course compare --dataset "$ds" --n-per-class "$@" --size 64 --epochs 3 --lr 0.01 --seeds 42 \
    --device cpu --out "results/l06_$ds"
  cp "results/l06_$ds/results.csv" "nbs/results/l06_$ds.csv"
}
grid lfw 10 50
grid mnist 10 50
grid fashion_mnist 10
