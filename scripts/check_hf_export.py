#!/usr/bin/env python3
"""Checks that a model folder written by Glossa loads in transformers with the same logits.

  pip install torch transformers safetensors
  glossa lm logits --model DIR --ids 50257,400,13,2048,11,286,262,1115 --out /tmp/glossa_logits.safetensors
  python3 scripts/check_hf_export.py DIR /tmp/glossa_logits.safetensors

Loads DIR with AutoModelForCausalLM (its config.json names the architecture; no custom code),
runs the same ids in float32 and compares: max |Δ| / max |logit| must be ≤ 1e-3 (the weights
are fp16 in the file and both sides compute in fp32). Also checks the argmax tokens agree.
"""
import sys

import torch
from safetensors import safe_open
from transformers import AutoModelForCausalLM

folder, logits_path = sys.argv[1], sys.argv[2]
with safe_open(logits_path, "pt") as f:
    glossa = f.get_tensor("logits")
    ids = f.get_tensor("input_ids")
model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager",
                                             experts_implementation="eager")
model.eval()
print(f"{type(model).__name__}: {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters")
with torch.no_grad():
    reference = model(ids[None]).logits[0]
scale = reference.abs().max().item()
error = (reference - glossa).abs().max().item()
agree = (reference.argmax(-1) == glossa.argmax(-1)).float().mean().item()
print(f"max |Δ| {error:.3e}, max |logit| {scale:.3f}, relative {error / scale:.3e}, argmax agreement {agree:.0%}")
assert error / scale <= 1e-3, "logits differ"
print("OK: transformers and Glossa agree")
