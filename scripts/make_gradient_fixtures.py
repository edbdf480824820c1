#!/usr/bin/env python3
"""Loss and every parameter's gradient for one batch, from transformers (llm.c-style check).

  pip install torch transformers safetensors
  python3 scripts/make_gradient_fixtures.py        # after scripts/make_lm_fixtures.py

For the tiny Mixtral and DeepSeek-V3 fixtures in Tests/GlossaLMTests/Fixtures/<family>/, runs a
fixed batch (2 × 9 token ids, next-token cross-entropy, mean over the 2 × 8 predicted
positions) in float64 and writes gradients.safetensors: `input_ids` (I64 [2, 9]), `loss`
(F32 [1]) and one F32 gradient per checkpoint tensor, under its checkpoint name (fused expert
tensors are split back into per-expert ones).
"""
import pathlib

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM

ROOT = pathlib.Path(__file__).resolve().parent.parent / "Tests/GlossaLMTests/Fixtures"
EXPERT_NAMES = {"mixtral": ("block_sparse_moe.experts.{e}.w1", "block_sparse_moe.experts.{e}.w3", "block_sparse_moe.experts.{e}.w2"),
                "deepseek_v3": ("mlp.experts.{e}.gate_proj", "mlp.experts.{e}.up_proj", "mlp.experts.{e}.down_proj")}


def main():
    for family in ["mixtral", "deepseek_v3"]:
        folder = ROOT / family
        model = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager", experts_implementation="eager",
                                                     dtype=torch.float64)
        model.train()
        generator = torch.Generator().manual_seed(99)
        ids = torch.randint(0, model.config.vocab_size, (2, 9), generator=generator)
        out = model(input_ids=ids, labels=ids)
        out.loss.backward()
        checkpoint = {}
        with safe_open(str(folder / "model.safetensors"), "pt") as f:
            for k in f.keys():
                checkpoint[k] = f.get_tensor(k)
        grads = {}
        for name, p in model.named_parameters():
            if p.grad is None:
                continue
            if name.endswith("experts.gate_up_proj") or name.endswith("experts.down_proj"):
                prefix = name.rsplit(".experts.", 1)[0].replace(".mlp", "")
                gate, up, down = EXPERT_NAMES[family]
                layer = name.split(".experts.")[0].rsplit(".mlp", 1)[0] if family == "deepseek_v3" else name.split(".mlp")[0]
                for e in range(p.shape[0]):
                    if name.endswith("gate_up_proj"):
                        inner = p.shape[1] // 2
                        g_name, u_name = f"{layer}.{gate.format(e=e)}.weight", f"{layer}.{up.format(e=e)}.weight"
                        assert torch.equal(p[e, :inner].float(), checkpoint[g_name]), g_name
                        grads[g_name] = p.grad[e, :inner]
                        grads[u_name] = p.grad[e, inner:]
                    else:
                        d_name = f"{layer}.{down.format(e=e)}.weight"
                        assert torch.equal(p[e].float(), checkpoint[d_name]), d_name
                        grads[d_name] = p.grad[e]
                continue
            key = name.replace(".mlp.gate.", ".block_sparse_moe.gate.") if family == "mixtral" else name
            assert key in checkpoint, key
            grads[key] = p.grad
        missing = [k for k in checkpoint if k not in grads and not k.endswith("e_score_correction_bias")]
        assert not missing, missing
        tensors = {k: v.float().contiguous() for k, v in grads.items()}
        tensors["input_ids"] = ids.to(torch.int64)
        tensors["loss"] = out.loss.detach().float().reshape(1)
        save_file(tensors, str(folder / "gradients.safetensors"))
        print(f"{family}: loss {out.loss.item():.6f}, {len(grads)} gradients")


if __name__ == "__main__":
    main()
