"""Parameter-efficient strategies (`bitfit`, `bn_only`, `lora`), stacking (`stack_imagenet`, `stack`) and the confidence `cascade`: what each trains,
pinned per parameter group; that they leave the rest of the pretrained body as it was; that stacking's second level
never learns from in-sample outputs; and that the dashboard and the comparison engine offer them."""
import numpy as np, torch, pytest
from fastai.vision.all import bn_types
from transfer_course.core import get_settings, DataError
from transfer_course.data import get_dls
from transfer_course.strategies import (strategy_learner, probe_recipe, train_bitfit, train_bn_only, train_lora, add_lora,
                                        pointwise_convs, strategy_names, run_strategy, fit_logreg, oof_logreg, extract_features)

HEAD = 1317888   # fastai's head on Lite0's 1,280 features, 2 classes
# per group of the course's 5-group Lite0 split: trainable parameters at the first batch (base lr 0.01 -> 0.0004 under one-cycle)
EXPECTED = dict(bitfit=[608, 3488, 13008, 3904, HEAD], bn_only=[1216, 6976, 26016, 7808, HEAD])

@pytest.fixture(scope='module')
def dls(): return get_dls('lfw', seed=0)

@pytest.mark.parametrize('name,recipe', [('bitfit', train_bitfit), ('bn_only', train_bn_only)])
def test_freeze_state(dls, name, recipe):
    t = probe_recipe(recipe, strategy_learner(dls, train_bn=False))
    assert t.n_trainable.tolist() == EXPECTED[name]
    assert t.lr.nunique() == 1 and t.lr.iloc[0] == pytest.approx(4e-4)

def test_lora_trains_only_adapters_and_head(dls):
    learn = strategy_learner(dls, train_bn=False)
    names = pointwise_convs(learn.model[0])
    convs = {n: m for n,m in learn.model[0].named_modules() if n in names}
    t = probe_recipe(train_lora, learn)
    assert t.n_trainable.iloc[-1] == HEAD
    assert t.n_trainable[:-1].sum() == 8*sum(m.in_channels + m.out_channels for m in convs.values())
    assert all(('lora_' in n) == p.requires_grad for n,p in learn.model[0].named_parameters())

@pytest.mark.parametrize('name', ['bitfit', 'bn_only', 'lora'])
def test_pretrained_body_kept(dls, name):
    "One epoch changes only the recipe's own tensors; BatchNorm's running statistics stay the pretrained ones"
    pre = strategy_learner(dls).model[0].state_dict()
    f = run_strategy(name, dls, n_epoch=1, seed=0)
    post = {k.replace('.base_layer', ''): v for k,v in f.learn.model[0].state_dict().items() if 'lora_' not in k}
    changed = {k for k,v in post.items() if not torch.equal(v.cpu(), pre[k].cpu())}
    assert not any('running_' in k or 'num_batches' in k for k in changed)
    if name == 'bitfit': assert changed and all(k.endswith('.bias') for k in changed)
    if name == 'bn_only': assert changed and all(k.endswith(('.weight', '.bias')) and '.bn' in k for k in changed)
    if name == 'lora': assert not changed

def test_oof_is_out_of_sample(dls):
    learn = strategy_learner(dls)
    X,y = extract_features(learn, dls.train)
    y_rand = y[torch.randperm(len(y), generator=torch.Generator().manual_seed(0))]
    assert (fit_logreg(X, y_rand, X).argmax(1) == y_rand.numpy()).mean() > 0.95
    oof,ev = oof_logreg(X, y_rand, X[:5])
    assert (oof.argmax(1) == y_rand.numpy()).mean() < 0.8
    assert oof.shape == (len(X), 2) and ev.shape == (5, 2)
    with pytest.raises(DataError, match='at least 2 training images per class'): oof_logreg(X[:3], torch.tensor([0, 1, 1]), X[:1])

def test_stack_with_test_split():
    d = get_dls('lfw', seed=1, test_pct=0.2)
    f = run_strategy('stack', d, ['efficientnet_lite0', 'efficientnet_lite1'], seed=1)
    assert f.probs.shape == (d.info['n_valid'], 2) and f.test_probs.shape == (d.info['n_test'], 2)
    np.testing.assert_allclose(f.probs.sum(1), 1, atol=1e-5)
    assert (f.probs.argmax(1) == f.targets).mean() > 0.7

def test_cascade_with_test_split():
    "The threshold is chosen on validation images; the record's share passed on covers validation and test images"
    d = get_dls('lfw', seed=1, test_pct=0.2)
    f = run_strategy('cascade', d, ['efficientnet_lite0', 'efficientnet_lite1'], seed=1)
    assert f.probs.shape == (d.info['n_valid'], 2) and f.test_probs.shape == (d.info['n_test'], 2)
    assert set(f.extra) == {'cascade_threshold', 'passed_valid', 'passed_test'}
    assert 0 <= f.extra['passed_test'] <= 1 and 0 <= f.extra['cascade_threshold'] <= 1.01
    assert (f.probs.argmax(1) == f.targets).mean() > 0.7

def test_offered_everywhere():
    from transfer_course.widgets import _controls
    from transfer_course.experiments import grid
    new = {'bitfit', 'bn_only', 'lora', 'stack_imagenet', 'stack', 'cascade'}
    assert new <= set(strategy_names())
    assert new <= set(_controls(get_settings())['strategies'].options)
    cfgs = grid(sorted(new), 'efficientnet_lite0', 'lfw', seeds=[0], device='cpu')
    assert {c.strategy for c in cfgs} == new and len({c.key for c in cfgs}) == len(cfgs)
