"""The input embedding table of a Glossa LM folder, as Glossa's loader reads it: through
model.safetensors.index.json when the folder shares another model's table, with the folder's
row patch (glossa.row_patch.*, rows it trained on top of that table) written over it; and how
often each token occurs in the LM corpus's training split (make data)."""
import json
import os

import numpy as np
from safetensors.numpy import load_file

NAME = "model.embed_tokens.weight"


def embedding_table(folder):
    index = f"{folder}/model.safetensors.index.json"
    path = (os.path.join(folder, json.load(open(index))["weight_map"][NAME]) if os.path.exists(index)
            else f"{folder}/model.safetensors")
    table = load_file(path)[NAME].astype(np.float32)
    own = load_file(f"{folder}/model.safetensors")
    if f"glossa.row_patch.ids/{NAME}" in own:
        table[own[f"glossa.row_patch.ids/{NAME}"]] = own[f"glossa.row_patch.rows/{NAME}"]
    return table


LANGUAGES = ["en", "de", "es", "fr", "it", "nl", "pt"]


def corpus_counts(vocab_size, corpus="data/corpus"):
    counts = np.zeros(vocab_size, np.int64)
    for lang in LANGUAGES:
        ids = np.fromfile(f"{corpus}/{lang}/train.tokens", np.uint16)
        counts += np.bincount(ids, minlength=vocab_size)[:vocab_size]
    return counts
