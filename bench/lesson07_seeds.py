"""Lesson 7's claims over seeds, on a test set that no choice sees: three cached-feature members (a logistic regression
on each offline backbone's features), their average (the ensemble), one logistic regression on Lite0's and Lite1's
concatenated features (`concat`), and a cascade Lite0 -> ensemble whose threshold is chosen on validation (the
cheapest within one point of the ensemble's validation accuracy); and, for diversity, linear heads (`fit_linear`,
10 epochs) on one backbone from three seeds against one per backbone.

MNIST, 64 px, 40 training digits per class (the small profile), 50 validation digits per class, a test set of 50 digits
per class (the same for every seed); seeds 1, 7, 123 (or those given).

    OMP_NUM_THREADS=1 python bench/lesson07_seeds.py [seeds...]

Writes nbs/results/l07_seeds.json: `records` (one per model and seed, with per-image test outcomes, which
`transfer_course.stats.compare_table` reads) and `per_seed` (the cascade's threshold, share passed on and work, and
the shared errors of the diversity groups).
"""
import os, sys, json, itertools, time
from pathlib import Path
os.environ.setdefault('TRANSFER_COURSE_PROFILE', 'small')
from transfer_course.all import *
from transfer_course.scaling import flops_per_image

root = Path(__file__).resolve().parents[1]
seeds = [int(a) for a in sys.argv[1:]] or [1, 7, 123]
backbones = offline_backbones()
short = {b:b.replace('efficientnet_lite', 'Lite') for b in backbones}

def rec(label, seed, p, yv, pt, yt, test_idx, **kw):
    "A result record with per-image test outcomes"
    return dict(strategy=label, seed=seed, accuracy=float((p.argmax(1)==yv).mean()), test_accuracy=float((pt.argmax(1)==yt).mean()),
                n_valid_images=len(yv), n_test_images=len(yt),
                outcomes=dict(test=dict(idx=[int(i) for i in test_idx], y=yt.tolist(), pred=pt.argmax(1).tolist())), **kw)

def shared(ps, y):
    "Of the images one member or another gets wrong, the share both get wrong, averaged over pairs"
    w = [p.argmax(1)!=y for p in ps]
    return float(np.mean([(a & b).sum()/max(1, (a | b).sum()) for a,b in itertools.combinations(w, 2)]))

recs,per_seed,flops = [],[],None
for seed in seeds:
    t0 = time.perf_counter()
    dls = get_dls('mnist', n_valid=50, test_pct=0.2, n_test=50, seed=seed)
    f = {}
    for b in backbones:
        learn = strategy_learner(dls, b)
        f[b] = [extract_features(learn, dl) for dl in dls.loaders]   # train, valid, test: (X, y)
        if flops is None or b not in flops: flops = {**(flops or {}), b:flops_per_image(learn.model, dls.info['size'])}
    (_,ytr),(_,yv),(_,yt) = f[backbones[0]]
    yv,yt,tidx = yv.numpy(),yt.numpy(),dls.split['test']
    def logreg(X): 
        p = fit_logreg(X[0][0], X[0][1], torch.cat([X[1][0], X[2][0]]), seed=seed)
        return p[:len(yv)],p[len(yv):]
    P = {short[b]:logreg(f[b]) for b in backbones}
    for k,(p,pt) in P.items(): recs.append(rec(k, seed, p, yv, pt, yt, tidx))
    ens = [np.mean([P[k][i] for k in P], 0) for i in (0, 1)]
    recs.append(rec('ensemble', seed, *ens[:1], yv, ens[1], yt, tidx))
    cat = [(torch.cat([f[b][i][0] for b in backbones[:2]], 1), f[backbones[0]][i][1]) for i in range(3)]
    recs.append(rec('concat Lite0+Lite1', seed, *logreg(cat)[:1], yv, logreg(cat)[1], yt, tidx))
    # the cascade: Lite0 answers when its top probability is at least t, else the ensemble; t chosen on validation
    p0 = P['Lite0']
    ts = np.unique(np.r_[0, np.quantile(p0[0].max(1), np.linspace(0.05, 1, 20)), 1.01])
    casc = lambda t, i: np.where((p0[i].max(1) < t)[:, None], ens[i], p0[i])
    ok = [t for t in ts if (casc(t, 0).argmax(1)==yv).mean() >= (ens[0].argmax(1)==yv).mean() - 0.01]
    t = min(ok)
    passed = float((p0[1].max(1) < t).mean())
    f0,fall = flops[backbones[0]],sum(flops.values())
    recs.append(rec('cascade Lite0 -> ensemble', seed, casc(t, 0), yv, casc(t, 1), yt, tidx, threshold=float(t), passed=passed,
                    work_vs_ensemble=(f0 + passed*(fall-f0))/fall))
    # diversity: linear heads on one backbone from three seeds, or one per backbone
    def lin(b, s):
        torch.manual_seed(s)
        (Xtr,ytr_),(Xv,yv_),(Xt,_) = f[b]
        p = fit_linear(Xtr, ytr_, Xv, yv_, dls.c, n_epoch=10, bs=dls.bs, seed=s, X_pred=torch.cat([Xv, Xt]))[0]
        return p[:len(yv)],p[len(yv):]
    groups = {'Lite0, 3 seeds': [lin(backbones[0], s) for s in (0, 1, 2)], '3 backbones': [lin(b, 0) for b in backbones]}
    row = dict(seed=seed, threshold=float(t), passed=passed, seconds=round(time.perf_counter()-t0, 1))
    for k,ps in groups.items():
        e = [np.mean([p[i] for p in ps], 0) for i in (0, 1)]
        best = max(range(len(ps)), key=lambda j: (ps[j][0].argmax(1)==yv).mean())   # the best member, chosen on validation
        recs.append(rec(f'linear ensemble: {k}', seed, e[0], yv, e[1], yt, tidx))
        recs.append(rec(f'linear best member: {k}', seed, ps[best][0], yv, ps[best][1], yt, tidx))
        row[f'shared errors: {k}'] = shared([p[1] for p in ps], yt)
    per_seed.append(row)
    print(row, flush=True)

out = root/'nbs'/'results'/'l07_seeds.json'
out.write_text(json.dumps(dict(seeds=seeds, flops={short[b]:v for b,v in flops.items()}, records=recs, per_seed=per_seed),
                          separators=(',', ':')))
print(pd.DataFrame(recs).groupby('strategy').test_accuracy.agg(['mean', 'min', 'max']).round(3))
print(f"{out}: {out.stat().st_size/1e3:.0f} kB")
