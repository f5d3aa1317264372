import numpy as np
import pytest
import torch

from nasrepro.evaluation.evaluate import collect_outputs, evaluate_architectures
from nasrepro.evaluation.prefix import supports_prefix
from nasrepro.spaces import get_space
from nasrepro.runtime import batch_statistics, make_runtime


@pytest.mark.parametrize("name,width,count", [("pooling", 0.25, 36), ("nb-macro", 0.125, 40)])
def test_shared_prefix_evaluation_equals_one_forward_per_architecture(name, width, count):
    torch.manual_seed(0)
    space = get_space(name)
    net = space.build_supernet(width=width)
    assert supports_prefix(net)
    archs = space.enumerate()
    rng = np.random.default_rng(0)
    sub = [archs[i] for i in rng.choice(len(archs), size=min(count, len(archs)), replace=False)]  # unsorted
    x = torch.randn(8, 3, 32, 32)
    y = torch.randint(0, 10, (8,))
    runtime = make_runtime("cpu")
    fast = collect_outputs(net, sub, x, runtime)
    net.eval()
    with torch.no_grad(), batch_statistics(net):
        slow = torch.stack([net(x, a) for a in sub]).numpy()
    assert np.array_equal(fast, slow)
    acc = evaluate_architectures(net, sub, torch.cat([x, x]), torch.cat([y, y]), runtime, batch_size=8)
    expected = (slow.argmax(-1) == y.numpy()[None]).mean(1) * 100
    assert np.allclose(acc, expected)
