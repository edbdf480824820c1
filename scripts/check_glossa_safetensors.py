#!/usr/bin/env python3
"""Proves a safetensors file written by Glossa loads in Python with the expected values.

  python3 scripts/check_glossa_safetensors.py [Tests/GlossaTensorTests/Fixtures/glossa_written.safetensors]

The file is produced by SafetensorsTests.testWriterOutputIsStable (which also checks that
Glossa still writes exactly these bytes); the values follow the formulas there.
"""
import sys

import numpy as np
import torch
from safetensors import safe_open

path = sys.argv[1] if len(sys.argv) > 1 else "Tests/GlossaTensorTests/Fixtures/glossa_written.safetensors"
with safe_open(path, framework="pt") as f:
    meta = f.metadata()
    assert meta == {"creator": "glossa", "format": "pt"}, meta
    t = {k: f.get_tensor(k) for k in f.keys()}

x = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 3 - 1.5
assert t["a.f32"].dtype == torch.float32 and torch.equal(t["a.f32"], x)
assert t["b.f16"].dtype == torch.float16 and torch.equal(t["b.f16"], x.half())
assert t["c.bf16"].dtype == torch.bfloat16 and torch.equal(t["c.bf16"], x.bfloat16())
assert t["d.i64"].dtype == torch.int64 and t["d.i64"].tolist() == [[3, -4], [2**50, 0]]
print(f"OK: {path} loads in Python safetensors {len(t)} tensors, metadata {meta}")
