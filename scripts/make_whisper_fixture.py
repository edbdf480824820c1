#!/usr/bin/env python3
"""A tiny random WhisperForConditionalGeneration with reference logits (committed fixture).

  pip install torch transformers safetensors
  python3 scripts/make_whisper_fixture.py

Writes Tests/GlossaSpeechTests/Fixtures/whisper_tiny_random/: config.json, model.safetensors
(Hugging Face `openai/whisper-*` layout) and expected.safetensors with `input_features`
[80, 100], `decoder_input_ids` (I64 [7]), `logits` [7, V] and `internal_logits` [7, V] (the
decoder without encoder states, which skips cross-attention: the internal-LM estimate that
fusion subtracts), computed in float64. Weights are
redrawn from N(0, 0.2²) (norm gains 1 + N(0, 0.1²)) so logits are far from uniform.
"""
import pathlib

import torch
from safetensors.torch import save_file
from transformers import WhisperConfig, WhisperForConditionalGeneration

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/GlossaSpeechTests/Fixtures/whisper_tiny_random"


def main():
    config = WhisperConfig(vocab_size=120, num_mel_bins=80, d_model=32, encoder_layers=2, decoder_layers=2,
                           encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=128, decoder_ffn_dim=128,
                           max_source_positions=50, max_target_positions=20, pad_token_id=0, bos_token_id=1,
                           eos_token_id=2, decoder_start_token_id=3)
    torch.manual_seed(7)  # the decoder's learned positions keep their default initialisation
    model = WhisperForConditionalGeneration(config)
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "layer_norm" in name:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=generator))
            elif "embed_positions" not in name:
                p.copy_(0.2 * torch.randn(p.shape, generator=generator))
    model.eval()
    model.config._attn_implementation = "eager"
    OUT.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(OUT)
    features = torch.randn(1, 80, 100, generator=generator)
    ids = torch.randint(0, 120, (1, 7), generator=generator)
    with torch.no_grad():
        model = model.double()
        logits = model(input_features=features.double(), decoder_input_ids=ids).logits[0].float()
        text_only = model.model.decoder(input_ids=ids, encoder_hidden_states=None).last_hidden_state
        internal = model.proj_out(text_only)[0].float()
    save_file({"input_features": features[0].contiguous(), "decoder_input_ids": ids[0], "logits": logits.contiguous(),
               "internal_logits": internal.contiguous()}, str(OUT / "expected.safetensors"))
    print(f"wrote {OUT}: logits {tuple(logits.shape)}, range {logits.min().item():.2f}..{logits.max().item():.2f}")


if __name__ == "__main__":
    main()
