"""adamtheory check --torch FILE.py:NAME."""

import json

import pytest

pytest.importorskip("torch")

from adamtheory.cli import main  # noqa: E402

FACTORY = '''
import torch
from adamtheory.torch import GenericAdam

def make():
    w = torch.nn.Parameter(torch.zeros(3))
    opt = GenericAdam([w], alpha="0.5", beta="0.9", theta="1 - 0.01/t")
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, lambda e: (1.0 + e) ** -0.5)

def adam_only():
    return torch.optim.RMSprop([torch.nn.Parameter(torch.zeros(2))], lr=1e-3)

def broken():
    raise RuntimeError("no data here")

def wrong():
    return 42
'''


def test_check_torch_factory(tmp_path, capsys):
    f = tmp_path / "train.py"
    f.write_text(FACTORY)
    assert main(["check", "--torch", f"{f}:make", "--horizon", "5000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["converges"] is True and "sampled on t = 1..5000" in out[0]["alpha"]
    assert main(["check", "--torch", f"{f}:adam_only"]) == 0
    text = capsys.readouterr().out
    assert "RMSprop" in text and "converges: false" in text


@pytest.mark.parametrize("target,word", [
    ("nofile.py:make", "no file"),
    ("{f}:missing", "no function"),
    ("{f}:broken", "RuntimeError"),
    ("{f}:wrong", "must return"),
    ("{f}", "FILE.py:NAME"),
    ("{f}:make", "horizon"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, target, word):
    f = tmp_path / "train.py"
    f.write_text(FACTORY)
    argv = ["check", "--torch", target.format(f=f)]
    if word == "horizon":
        argv += ["--horizon", "5"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and word in err
