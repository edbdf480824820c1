#!/usr/bin/env python3
"""Tiny random transformers of each supported family, with reference logits (committed).

  pip install torch transformers safetensors
  python3 scripts/make_lm_fixtures.py

For each family (gpt2, llama, mixtral, deepseek_v3) writes Tests/GlossaLMTests/Fixtures/<family>/:
config.json + model.safetensors (llama: sharded, with model.safetensors.index.json), and
expected.safetensors with `input_ids` (I64 [T]) and `logits` (F32 [T, V]) computed in float64
by `transformers`. Weights are redrawn from N(0, 0.25²) (norm gains 1 + N(0, 0.1²), DeepSeek's
correction bias N(0, 0.5²)) so logits are far from uniform and routing is not trivial.
"""
import pathlib

import torch
from safetensors.torch import save_file
from transformers import (DeepseekV3Config, DeepseekV3ForCausalLM, GPT2Config, GPT2LMHeadModel,
                          LlamaConfig, LlamaForCausalLM, MixtralConfig, MixtralForCausalLM)

ROOT = pathlib.Path(__file__).resolve().parent.parent / "Tests/GlossaLMTests/Fixtures"
VOCAB = 320


def family_models():
    yield "gpt2", GPT2LMHeadModel(GPT2Config(
        vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, n_positions=64, activation_function="gelu_new")), None
    yield "llama", LlamaForCausalLM(LlamaConfig(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, rope_theta=10000.0, tie_word_embeddings=False, rms_norm_eps=1e-5)), "40KB"
    yield "mixtral", MixtralForCausalLM(MixtralConfig(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=40, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2, rope_theta=1e6)), None
    yield "deepseek_v3", DeepseekV3ForCausalLM(DeepseekV3Config(
        vocab_size=VOCAB, hidden_size=32, intermediate_size=48, moe_intermediate_size=16, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=4, n_routed_experts=8, n_shared_experts=1,
        num_experts_per_tok=2, n_group=4, topk_group=2, first_k_dense_replace=1, q_lora_rank=24,
        kv_lora_rank=16, qk_rope_head_dim=4, qk_nope_head_dim=8, v_head_dim=6, rope_interleave=True,
        norm_topk_prob=True, routed_scaling_factor=2.5, num_nextn_predict_layers=0)), None


def redraw(model, generator):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or "ln_" in name:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.25 * torch.randn(p.shape, generator=generator))
        for name, b in model.named_buffers():
            if name.endswith("e_score_correction_bias"):
                b.copy_(0.5 * torch.randn(b.shape, generator=generator))


def main():
    for family, model, shard in family_models():
        generator = torch.Generator().manual_seed(1234)
        redraw(model, generator)
        model.eval()
        # Reference maths: eager attention and the per-expert loop, in float64.
        model.config._attn_implementation = "eager"
        model.config._experts_implementation = "eager"
        out = ROOT / family
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.safetensors*"):
            old.unlink()
        if shard:
            model.save_pretrained(out, max_shard_size=shard)
        else:
            model.save_pretrained(out)
        ids = torch.randint(0, VOCAB, (11,), generator=generator)
        with torch.no_grad():
            logits = model.double()(ids[None]).logits[0].float()
        save_file({"input_ids": ids.to(torch.int64), "logits": logits.contiguous()}, str(out / "expected.safetensors"))
        spread = (logits.max(-1).values - logits.min(-1).values).mean().item()
        size = sum(f.stat().st_size for f in out.iterdir())
        print(f"{family}: {size / 1024:.0f} KB, mean logit range {spread:.1f}, files {sorted(p.name for p in out.iterdir())}")


if __name__ == "__main__":
    main()
