import torch

from nasrepro.spaces import get_space
from nasrepro.compile_blocks import compile_blocks


def test_block_compilation_does_not_recompile_per_architecture():
    """Graphs compiled for a path are reused by other paths: their number is bounded by the blocks."""
    import torch._dynamo as dynamo
    from torch._dynamo.utils import counters

    dynamo.reset()
    counters.clear()
    torch.manual_seed(0)
    space = get_space("nb-macro")
    net = space.build_supernet(width=0.125)
    blocks = compile_blocks(net, backend="eager")
    assert blocks == 8 * 3  # every candidate of every searchable layer
    archs = space.enumerate()
    x = torch.randn(2, 3, 32, 32)
    eager = space.build_supernet(width=0.125)
    eager.load_state_dict(net.state_dict())  # in-place compile keeps the parameter names
    for arch in archs[:20]:
        with torch.no_grad():
            assert torch.allclose(net(x, arch), eager(x, arch), atol=1e-5)
    after_first = counters["stats"]["unique_graphs"]
    for arch in archs[-60:]:
        with torch.no_grad():
            net(x, arch)
    assert counters["stats"]["unique_graphs"] <= 8 * 3
    assert after_first > 0
