"""Whether two stores of `transfer-course compare` results hold the same results: run by run (matched by key), every
figure that a run computes (validation and test accuracy, validation loss, each image's prediction and probability),
then a markdown table of each. Usage: `python bench/same_results.py BEFORE/runs AFTER/runs`; exits 1 on any difference."""
import sys
from transfer_course.core import md_table
from transfer_course.store import ResultStore
import pandas as pd

_computed = ('accuracy', 'test_accuracy', 'valid_loss', 'confusion', 'outcomes', 'n_trainable', 'n_params', 'history_losses')

def computed(r) -> dict:
    "What a run computes (not how long it took or where): the figures compared"
    return {**{k:r.get(k) for k in _computed if k!='history_losses'},
            'history_losses':[(h.get('train_loss'), h.get('valid_loss'), h.get('accuracy')) for h in r.get('history', [])]}

def table(recs) -> str:
    df = pd.DataFrame([dict(strategy=r['strategy'], backbone='+'.join(r['backbone']) if isinstance(r['backbone'], list) else r['backbone'],
                            key=r['key'], valid=round(r['accuracy'], 4), test=round(r.get('test_accuracy', float('nan')), 4),
                            valid_loss=round(r['valid_loss'], 4)) for r in recs])
    return md_table(df)

if __name__=='__main__':
    a,b = (ResultStore(p) for p in sys.argv[1:3])
    ra,rb = ({r['key']:r for r in s.records()} for s in (a,b))
    if set(ra)!=set(rb): print(f"different runs: only before {sorted(set(ra)-set(rb))}, only after {sorted(set(rb)-set(ra))}")
    same = [k for k in ra if k in rb and computed(ra[k])==computed(rb[k])]
    diff = [k for k in ra if k in rb and k not in same]
    print(f"## Before ({sys.argv[1]})\n\n{table(ra.values())}\n\n## After ({sys.argv[2]})\n\n{table([rb[k] for k in ra if k in rb])}\n")
    print(f"{len(same)} of {len(ra)} runs identical in every computed figure (accuracies, losses, per-epoch history, "
          f"confusion matrix, every image's prediction and probability); different: {diff or 'none'}")
    sys.exit(0 if not diff and set(ra)==set(rb) else 1)
