#!/usr/bin/env python3
"""Reference fixtures for GlossaTensor and GlossaNN tests (run once; outputs are committed).

  pip install torch safetensors numpy
  python3 scripts/make_tensor_fixtures.py

Writes
  Tests/GlossaTensorTests/Fixtures/python_written.safetensors  written by the Python
      `safetensors` library; Glossa must read it (values follow the formulas below).
  Tests/GlossaNNTests/Fixtures/adamw_reference.safetensors     torch.optim.AdamW and
      clip_grad_norm_ on fixed gradients, with a warmup + cosine learning rate.
"""
import math
import pathlib

import numpy as np
import torch
from safetensors.numpy import save_file as save_numpy
from safetensors.torch import save_file as save_torch

ROOT = pathlib.Path(__file__).resolve().parent.parent


def python_written():
    # Formulas mirrored in SafetensorsTests.testReadsFileWrittenByPython.
    f32 = (np.arange(6, dtype=np.float32) * 0.25 - 1.0).reshape(2, 3)
    f16 = np.array([0.5, -2.0, 65504.0, 1e-4], dtype=np.float16)
    bf16 = torch.tensor([[1.0, -3.5], [0.1, 1000.0], [-0.0, 7.0]], dtype=torch.bfloat16)
    i64 = np.array([0, -1, 2**40, 7, -(2**35)], dtype=np.int64)
    tensors = {
        "weights.f32": torch.from_numpy(f32),
        "weights.f16": torch.from_numpy(f16),
        "weights.bf16": bf16,
        "ids.i64": torch.from_numpy(i64),
        "empty": torch.zeros(0, 4),
    }
    out = ROOT / "Tests/GlossaTensorTests/Fixtures/python_written.safetensors"
    save_torch(tensors, str(out), metadata={"format": "pt", "creator": "make_tensor_fixtures.py"})
    print("wrote", out)


def adamw_reference():
    torch.manual_seed(0)
    shape = (3, 4)
    param = torch.nn.Parameter(torch.randn(shape))
    bias = torch.nn.Parameter(torch.randn(4))
    init_w, init_b = param.detach().clone(), bias.detach().clone()
    opt = torch.optim.AdamW(
        [{"params": [param], "weight_decay": 0.1}, {"params": [bias], "weight_decay": 0.0}],
        lr=1.0, betas=(0.9, 0.95), eps=1e-8)
    peak, floor, warmup, total = 0.01, 0.001, 2, 5
    grads_w, grads_b, norms = [], [], []
    for step in range(5):
        # Schedule mirrored in WarmupCosineSchedule.
        if step < warmup:
            lr = peak * (step + 1) / warmup
        else:
            progress = (step - warmup) / (total - warmup)
            lr = floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * progress))
        for group in opt.param_groups:
            group["lr"] = lr
        gw, gb = torch.randn(shape) * 3, torch.randn(4) * 3
        grads_w.append(gw.clone()); grads_b.append(gb.clone())
        param.grad, bias.grad = gw.clone(), gb.clone()
        norms.append(torch.nn.utils.clip_grad_norm_([param, bias], max_norm=2.0))
        opt.step()
    out = ROOT / "Tests/GlossaNNTests/Fixtures/adamw_reference.safetensors"
    save_torch({
        "init.weight": init_w, "init.bias": init_b,
        "grads.weight": torch.stack(grads_w), "grads.bias": torch.stack(grads_b),
        "norms": torch.stack(norms).float(),
        "final.weight": param.detach(), "final.bias": bias.detach(),
    }, str(out))
    print("wrote", out)


if __name__ == "__main__":
    python_written()
    adamw_reference()
