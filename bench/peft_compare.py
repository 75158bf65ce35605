"""Evidence for parameter-efficient fine-tuning and stacking, on EfficientNet-Lite0 at the small profile's image size and
epochs, on this machine (CPU):

1. the trainable parameters of `frozen`, `frozen_bn`, `bitfit`, `bn_only`, `lora` and `full`, from `freeze_table`;
3. those strategies over three seeds on a far task (MNIST) and a near one (LFW faces vs background), on each dataset's
   fixed test set, with intervals and the comparison engine's groups (`compare_table`, `describe`);
2. `stack` and `stack_imagenet` against `concat`, `ensemble`, the confidence `cascade` and one backbone alone
   (`cached_logreg`) on the same MNIST images, three seeds, with the three offline backbones.

Finished runs are kept in results/peft/runs (a rerun resumes); the report goes to bench/results/peft_evidence.md and
the tables the lesson reads to nbs/results/l04b_*.csv.

    OMP_NUM_THREADS=1 python bench/peft_compare.py           # everything, then the report
    OMP_NUM_THREADS=1 python bench/peft_compare.py peft      # a second process sharing the PEFT runs (no report)
    OMP_NUM_THREADS=1 python bench/peft_compare.py --stored  # the report from the runs stored so far
    OMP_NUM_THREADS=1 python bench/peft_compare.py stacking  # part 2 alone: its section of the report and its table
"""
import os, sys, time
from pathlib import Path
os.environ.setdefault('TRANSFER_COURSE_PROFILE', 'small')
from transfer_course.all import *

root = Path(__file__).resolve().parents[1]
store = ResultStore(root/'results'/'peft'/'runs')
seeds = [1, 2, 3]
peft = ['frozen', 'frozen_bn', 'bitfit', 'bn_only', 'lora', 'full']
WORKER,STORED,STACKING = 'peft' in sys.argv[1:],'--stored' in sys.argv[1:],'stacking' in sys.argv[1:]
report = root/'bench'/'results'/'peft_evidence.md'
out = []
def say(s=''):
    out.append(s); print(s, flush=True)
    if WORKER or STACKING: return
    report.write_text('\n'.join(out)+'\n')   # kept as it grows

def table(t, cols=('label', 'accuracy', 'lo', 'hi', 'diff_vs_best', 'diff_lo', 'diff_hi', 'p_adj', 'group')) -> str:
    return md_table(t[[c for c in cols if c in t]].round(3))

def run(cfgs) -> list:
    "The records of `cfgs`: run (or reused) unless `--stored`, then only those already stored"
    if not STORED: compare(cfgs, store)
    return [store.get(c.key) for c in cfgs if c.key in store]

def complete(recs, by) -> tuple:
    "Records of the seeds that every label with the most seeds has (paired tests need the same seeds), and the labels left out"
    seen = {}
    for r in recs: seen.setdefault(by(r), set()).add(r['seed'])
    if not seen: return [], [], []
    n = max(map(len, seen.values()))
    common = set.intersection(*[v for v in seen.values() if len(v)==n])
    keep = {k for k,v in seen.items() if common <= v}
    return [r for r in recs if by(r) in keep and r['seed'] in common], sorted(common), sorted(set(seen)-keep)

def costs(recs, by) -> pd.DataFrame:
    "Median cost per label over seeds: trainable parameters, training seconds, peak memory"
    df = pd.DataFrame([dict(label=by(r), n_trainable=r['n_trainable'], train_seconds=r['train_seconds'],
                            peak_rss_mb=r['peak_rss_mb']) for r in recs])
    return df.groupby('label', sort=False).median()

# 1. trainable parameters
if WORKER: tasks = dict(lfw=dict(n_per_class=40, n_test=0), mnist=dict(n_per_class=20, n_valid=10, n_test=30))
if WORKER:
    for ds,kw in tasks.items(): compare(grid(peft, 'efficientnet_lite0', ds, seeds=seeds, device='cpu', test_pct=0.2, **kw), store)
    sys.exit()
recipes = dict(frozen=(train_frozen, {}), frozen_bn=(train_frozen_bn, dict(train_bn=False)),
               bitfit=(train_bitfit, dict(train_bn=False)), bn_only=(train_bn_only, dict(train_bn=False)),
               lora=(train_lora, dict(train_bn=False)), full=(train_full, {}))
tp_file = root/'nbs'/'results'/'l04b_trainable.csv'
rows = []
for task,n_out_ds in (() if (STORED or STACKING) and tp_file.exists() else (('mnist (10 classes)', 'mnist'), ('lfw (2 classes)', 'lfw'))):
    dls = get_dls(n_out_ds, seed=0)
    for k,(t,kw) in recipes.items():
        p = probe_recipe(t, strategy_learner(dls, **kw))
        rows.append(dict(task=task, strategy=k, trainable_body=int(p.n_trainable[:-1].sum()), trainable_head=int(p.n_trainable.iloc[-1]),
                         n_params=int(p.n_params.sum())))
if rows:
    tp = pd.DataFrame(rows).assign(trainable_pct=lambda d: (100*(d.trainable_body+d.trainable_head)/d.n_params).round(2))
    tp.to_csv(tp_file, index=False)
tp = pd.read_csv(tp_file)
say('# Parameter-efficient fine-tuning and stacking: evidence\n')
say(f"Machine: {device_name('cpu')}; torch {torch.__version__}; peft {__import__('peft').__version__}. "
    f"EfficientNet-Lite0 (offline ImageNet weights), fastai's default head, {get_settings().size} px, "
    f"{get_settings().epochs} epochs, lr 1e-2 (each recipe's own use of it), batch size {get_settings().bs}.\n")
say("Intervals: accuracy with its 95% interval over seeds × test images; `diff_vs_best` is the paired difference with the "
    "best, its interval, and the Holm-corrected p-value; `group` is `transfer_course.stats.rank_groups`' verdict. Costs are "
    "medians over seeds: trainable parameters, training seconds, and the process's peak resident memory during the run "
    "(MB; the process holds earlier runs' memory too, so read it as an upper bound). Seconds are on a shared 2-core CPU: "
    "a rough guide only.")
say()
say('## 1. What each strategy trains (`probe_recipe` → `freeze_table`)\n')
say(md_table(tp)); say()

tasks = dict(mnist=dict(n_per_class=20, n_valid=10, n_test=30), lfw=dict(n_per_class=40, n_test=0))
# 2. stacking vs concat, ensemble, and one backbone alone, on the same images
bbs = offline_backbones()
mn = tasks['mnist']
if STACKING: out.clear()
cfgs = (grid(['stack', 'concat', 'ensemble', 'cascade'], bbs, 'mnist', **mn, seeds=seeds, device='cpu', test_pct=0.2) +
        grid(['stack_imagenet', 'cached_logreg'], 'efficientnet_lite0', 'mnist', **mn, seeds=seeds, device='cpu', test_pct=0.2))
recs = run(cfgs)
lab = lambda r: r['strategy'] + (' (Lite0)' if (n := len(as_backbones(r['backbone'])))==1 else f" ({n} backbones)")
recs,used,left = complete(recs, lab)
t = compare_table(recs, by=lab, split='test'); a = dict(t.attrs)
t = t.join(costs(recs, lab), on='label'); t.attrs.update(a)
t.round(4).to_csv(root/'nbs'/'results'/'l04b_stacking.csv', index=False)
say(f"## 2. Stacking against concat and ensemble: mnist, {mn['n_per_class']} training images per class, {t.attrs['n_images']} test images, "
    f"seeds {used}; backbones {', '.join(bbs)}\n" + (f"Not finished in time for every seed, left out: {', '.join(left)}.\n" if left else ''))
say("What trains on which split: the validation and test images train nothing. `stack` fits one logistic regression per "
    "backbone (level 0) on the training split and feeds a second logistic regression (level 1) the level-0 class "
    "probabilities of the training images **out of fold** (5 stratified folds: each image's probabilities come from a "
    "level-0 model fitted on the other four fifths of the training split); validation and test images get the "
    "probabilities of the level-0 model fitted on the whole training split. `stack_imagenet` feeds the pretrained "
    "network's 1,000 ImageNet probabilities (a model that never saw these images) to a logistic regression fitted on the "
    "training split. `concat` fits one logistic regression on the concatenated features; `ensemble` averages three "
    "frozen-body fastai learners; `cascade` lets Lite0's logistic regression answer when its top probability reaches a "
    "threshold chosen on the validation split (the lowest within 1 point of the three logistic regressions' average "
    "there) and passes the other images on to that average.\n")
say(table(t, ('label', 'accuracy', 'lo', 'hi', 'diff_vs_best', 'diff_lo', 'diff_hi', 'p_adj', 'group', 'n_trainable',
              'train_seconds', 'peak_rss_mb'))); say()
say(describe(t)); say()
cas = pd.DataFrame([dict(seed=r['seed'], threshold=r['cascade_threshold'], passed_valid=r['passed_valid'], passed_test=r['passed_test'])
                    for r in recs if r['strategy']=='cascade'])
say("The cascade's threshold and the share of images it passed on to the three models, per seed:\n")
say(md_table(cas.round(3))); say()
if STACKING:   # this section of the report replaced, the rest kept
    old = report.read_text(); a,b = old.index('## 2. Stacking'),old.index('## 3a.')
    report.write_text(old[:a] + '\n'.join(out) + '\n' + old[b:]); sys.exit()
# 3. PEFT vs frozen / frozen_bn / full, far and near
allt = []
for ds,kw in tasks.items():
    cfgs = grid(peft, 'efficientnet_lite0', ds, seeds=seeds, device='cpu', test_pct=0.2, **kw)
    recs,used,left = complete(run(cfgs), lambda r: r['strategy'])
    if len(used) < 2:
        done = pd.DataFrame([dict(strategy=r['strategy'], seed=r['seed'], test_accuracy=r.get('test_accuracy'), n_trainable=r['n_trainable'],
                                  train_seconds=r['train_seconds'], peak_rss_mb=r['peak_rss_mb']) for r in run(cfgs)])
        say(f"## 3{'ab'[list(tasks).index(ds)]}. {ds}: fewer than two seeds finished for every strategy, so no paired tests yet; the runs stored:\n")
        say(md_table(done.round(3)) if len(done) else '(none)'); say(); continue
    t = compare_table(recs, by='strategy', split='test')
    c = costs(recs, lambda r: r['strategy'])
    a = dict(t.attrs); t = t.join(c, on='label'); t.attrs.update(a)
    allt.append(t.assign(task=ds))
    far = 'far' if ds=='mnist' else 'near'
    say(f"## 3{'ab'[list(tasks).index(ds)]}. {ds} ({far} task): {kw['n_per_class']} training images per class, "
        f"{t.attrs['n_images']} test images (the same for every seed), seeds {used}\n" + (f"Not finished in time for every seed, left out: {', '.join(left)}.\n" if left else ''))
    say(table(t, ('label', 'accuracy', 'lo', 'hi', 'diff_vs_best', 'diff_lo', 'diff_hi', 'p_adj', 'group', 'n_trainable',
                  'train_seconds', 'peak_rss_mb'))); say()
    say(describe(t)); say()
pd.concat(allt).round(4).to_csv(root/'nbs'/'results'/'l04b_peft.csv', index=False)

