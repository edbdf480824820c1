#!/usr/bin/env python3
"""Reference log-mel spectrogram for GlossaSpeech's front end (committed fixture).

  pip install torch numpy safetensors
  python3 scripts/make_logmel_fixture.py

Follows openai/whisper's audio.py `log_mel_spectrogram` line by line (torch.stft with a
periodic Hann window, centred reflect padding, `stft[..., :-1].abs() ** 2`, the mel matrix,
log10 clamp, max − 8, (x + 4) / 4), with the mel filterbank from the `openai-whisper` package's
own assets/mel_filters.npz (fetched with `pip download --no-deps openai-whisper`). The audio is
assets/samples/librivox-0880.wav read as whisper's ffmpeg path does (s16le / 32768).
Writes Tests/GlossaSpeechTests/Fixtures/logmel_librivox.safetensors: `audio` [N], `mel` [80, N/160]
(padding 0), `mel_padded_tail` (the last 40 frames with 1 s of zero padding), `filters` [80, 201].
"""
import io
import pathlib
import subprocess
import tarfile
import tempfile
import wave

import numpy as np
import torch
from safetensors.torch import save_file

ROOT = pathlib.Path(__file__).resolve().parent.parent
N_FFT, HOP_LENGTH = 400, 160


def whisper_mel_filters():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["python3", "-m", "pip", "download", "--no-deps", "-q", "openai-whisper==20250625", "-d", tmp], check=True)
        sdist = next(pathlib.Path(tmp).glob("openai_whisper-*.tar.gz"))
        with tarfile.open(sdist) as tar:
            member = next(m for m in tar.getmembers() if m.name.endswith("assets/mel_filters.npz"))
            data = tar.extractfile(member).read()
    with np.load(io.BytesIO(data)) as f:
        return torch.from_numpy(f["mel_80"])


def log_mel_spectrogram(audio, filters, padding=0):
    # openai/whisper audio.py, log_mel_spectrogram (n_mels=80)
    if padding > 0:
        audio = torch.nn.functional.pad(audio, (0, padding))
    window = torch.hann_window(N_FFT)
    stft = torch.stft(audio, N_FFT, HOP_LENGTH, window=window, return_complex=True)
    magnitudes = stft[..., :-1].abs() ** 2
    mel_spec = filters @ magnitudes
    log_spec = torch.clamp(mel_spec, min=1e-10).log10()
    log_spec = torch.maximum(log_spec, log_spec.max() - 8.0)
    log_spec = (log_spec + 4.0) / 4.0
    return log_spec


def main():
    with wave.open(str(ROOT / "assets/samples/librivox-0880.wav")) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1 and w.getframerate() == 16000
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    audio = torch.from_numpy(pcm.astype(np.float32) / 32768.0)
    filters = whisper_mel_filters()
    mel = log_mel_spectrogram(audio, filters)
    padded = log_mel_spectrogram(audio, filters, padding=16000)
    out = ROOT / "Tests/GlossaSpeechTests/Fixtures/logmel_librivox.safetensors"
    save_file({"audio": audio, "mel": mel.contiguous(), "mel_padded_tail": padded[:, -40:].contiguous(),
               "filters": filters.contiguous()}, str(out))
    print(f"wrote {out}: mel {tuple(mel.shape)}, padded {tuple(padded.shape)}")


if __name__ == "__main__":
    main()
