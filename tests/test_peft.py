"""Parameter-efficient strategies (`bitfit`, `bn_only`, `lora`), stacking (`stack_imagenet`, `stack`) and the confidence
`cascade`, beyond what the strategies notebook and lesson 4b check (body totals, LoRA at rank 4 and 8 on one layer, BitFit's
and LoRA's changed tensors, out-of-fold accuracy, runs without a test split): what each recipe trains, pinned per
parameter group with its learning rate; that `bn_only` leaves BatchNorm's statistics alone; the shapes out-of-fold
stacking returns; stacking and the cascade with a test split; and that the dashboard and the comparison engine offer them."""
import numpy as np, torch, pytest
from transfer_course.core import get_settings
from transfer_course.data import get_dls
from transfer_course.strategies import (strategy_learner, probe_recipe, train_bitfit, train_bn_only, train_lora, pointwise_convs,
                                        run_strategy, oof_logreg, extract_features)

HEAD = 1317888   # fastai's head on Lite0's 1,280 features, 2 classes
# per group of the course's 5-group Lite0 split: trainable parameters at the first batch (base lr 0.01 -> 0.0004 under one-cycle)
EXPECTED = dict(bitfit=[608, 3488, 13008, 3904, HEAD], bn_only=[1216, 6976, 26016, 7808, HEAD])

@pytest.fixture(scope='module')
def dls(): return get_dls('lfw', seed=0)

@pytest.mark.parametrize('name,recipe', [('bitfit', train_bitfit), ('bn_only', train_bn_only)])
def test_freeze_state(dls, name, recipe):
    "Trainable parameters of each of the 5 groups, and the one learning rate, at the first batch"
    t = probe_recipe(recipe, strategy_learner(dls, train_bn=False))
    assert t.n_trainable.tolist() == EXPECTED[name]
    assert t.lr.nunique() == 1 and t.lr.iloc[0] == pytest.approx(4e-4)

def test_lora_trains_only_adapters_and_head(dls):
    "`train_lora` as run: the optimizer trains the head and rank-8 adapters on every pointwise convolution, nothing more"
    learn = strategy_learner(dls, train_bn=False)
    names = pointwise_convs(learn.model[0])
    convs = {n: m for n,m in learn.model[0].named_modules() if n in names}
    t = probe_recipe(train_lora, learn)
    assert t.n_trainable.iloc[-1] == HEAD
    assert t.n_trainable[:-1].sum() == 8*sum(m.in_channels + m.out_channels for m in convs.values())

def test_bn_only_keeps_the_pretrained_statistics(dls):
    "One epoch of `bn_only` changes BatchNorm's scales and shifts only; its running statistics stay the pretrained ones"
    pre = strategy_learner(dls).model[0].state_dict()
    f = run_strategy('bn_only', dls, n_epoch=1, seed=0)
    changed = {k for k,v in f.learn.model[0].state_dict().items() if not torch.equal(v.cpu(), pre[k].cpu())}
    assert changed and all(k.endswith(('.weight', '.bias')) and '.bn' in k for k in changed)

def test_oof_shapes(dls):
    "`oof_logreg` gives one out-of-fold row per training image and one row per image to predict"
    X,y = extract_features(strategy_learner(dls), dls.train)
    oof,ev = oof_logreg(X, y, X[:5])
    assert oof.shape == (len(X), 2) and ev.shape == (5, 2)

def test_stack_with_test_split():
    "With a test split, stacking gives probabilities for the validation and the test images apart"
    d = get_dls('lfw', seed=1, test_pct=0.2)
    f = run_strategy('stack', d, ['efficientnet_lite0', 'efficientnet_lite1'], seed=1)
    assert f.probs.shape == (d.info['n_valid'], 2) and f.test_probs.shape == (d.info['n_test'], 2)
    np.testing.assert_allclose(f.probs.sum(1), 1, atol=1e-5)

def test_cascade_with_test_split():
    "The threshold is chosen on validation images; the record's share passed on covers validation and test images"
    d = get_dls('lfw', seed=1, test_pct=0.2)
    f = run_strategy('cascade', d, ['efficientnet_lite0', 'efficientnet_lite1'], seed=1)
    assert f.probs.shape == (d.info['n_valid'], 2) and f.test_probs.shape == (d.info['n_test'], 2)
    assert set(f.extra) == {'cascade_threshold', 'passed_valid', 'passed_test'}
    assert 0 <= f.extra['passed_test'] <= 1
    assert (f.probs.argmax(1) == f.targets).mean() > 0.7

def test_offered_everywhere():
    "The dashboard offers them, and `grid` makes one run with its own key for each"
    from transfer_course.widgets import _controls
    from transfer_course.experiments import grid
    new = {'bitfit', 'bn_only', 'lora', 'stack_imagenet', 'stack', 'cascade'}
    assert new <= set(_controls(get_settings())['strategies'].options)
    cfgs = grid(sorted(new), 'efficientnet_lite0', 'lfw', seeds=[0], device='cpu')
    assert {c.strategy for c in cfgs} == new and len({c.key for c in cfgs}) == len(cfgs)
