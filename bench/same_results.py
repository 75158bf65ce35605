"""Whether two stores of `transfer-course compare` results hold the same results: run by run (matched by key), every
figure that a run computes (validation and test accuracy, validation loss, the confusion matrix, each image's prediction
and probability, each epoch's losses, the parameters and images counted), then a markdown table of each.
Usage: `python bench/same_results.py BEFORE/runs AFTER/runs`; exits 1 on any difference."""
import sys
from transfer_course.core import md_table
from transfer_course.store import ResultStore
from transfer_course.experiments import records_frame

_computed = ('accuracy', 'test_accuracy', 'valid_loss', 'confusion', 'outcomes', 'n_trainable', 'n_params', 'n_seen', 'n_steps')

def computed(r) -> dict:
    "What a run computes (not how long it took or where): the figures compared"
    return {**{k:r.get(k) for k in _computed},
            'history':[(h.get('train_loss'), h.get('valid_loss'), h.get('accuracy')) for h in r.get('history', [])]}

def table(recs) -> str:
    return md_table(records_frame(list(recs))[['strategy', 'backbone', 'key', 'accuracy', 'test_accuracy', 'valid_loss']].round(4))

if __name__=='__main__':
    a,b = (ResultStore(p) for p in sys.argv[1:3])
    ra,rb = ({r['key']:r for r in s.records()} for s in (a,b))
    if set(ra)!=set(rb): print(f"different runs: only before {sorted(set(ra)-set(rb))}, only after {sorted(set(rb)-set(ra))}")
    same = [k for k in ra if k in rb and computed(ra[k])==computed(rb[k])]
    diff = [k for k in ra if k in rb and k not in same]
    print(f"## Before ({sys.argv[1]})\n\n{table(ra.values())}\n\n## After ({sys.argv[2]})\n\n{table([rb[k] for k in ra if k in rb])}\n")
    print(f"{len(same)} of {len(ra)} runs identical in every computed figure (accuracies, losses, per-epoch history, "
          f"confusion matrix, every image's prediction and probability, parameters and images counted); different: {diff or 'none'}")
    sys.exit(0 if not diff and set(ra)==set(rb) else 1)
