#!/usr/bin/env python3
"""Reconstructions by pyramid depth for a few Fashion-MNIST test images, as a PNG for docs/.

  pip install matplotlib numpy
  python3 scripts/plot_spae_reconstructions.py assets/spae/glossa-spae-v1 docs/spae_reconstructions.png

Goes through the CLI only, as a user would: writes the first test image of each class as a
PNG, runs `glossa tokenize --json` on it, then `glossa render` on the tokens cut to 1, 2, …
layers, and lays the results out in a grid (rows: images; columns: original, then depths),
with the layer-1 word under each row's original.
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

GLOSSA = os.environ.get("GLOSSA", ".build/release/glossa")
DATA = "data/raw/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def main():
    spae, out = sys.argv[1], sys.argv[2]
    images, labels = idx(f"{DATA}/t10k-images-idx3-ubyte.gz"), idx(f"{DATA}/t10k-labels-idx1-ubyte.gz")
    picks = [int(np.argmax(labels == c)) for c in range(10)]
    work = tempfile.mkdtemp()
    rows = []
    for c, i in enumerate(picks):
        png = f"{work}/{c}.png"
        plt.imsave(png, images[i], cmap="gray", vmin=0, vmax=255)
        tokens = json.loads(subprocess.run([GLOSSA, "tokenize", png, "--spae", spae, "--json"], check=True,
                                           capture_output=True, text=True).stdout)
        document = tokens[0] if isinstance(tokens, list) else tokens
        renders = []
        for depth in range(1, len(document["layers"]) + 1):
            cut = dict(document, layers=document["layers"][:depth])
            with open(f"{work}/{c}-{depth}.json", "w") as f:
                json.dump(cut, f)
            subprocess.run([GLOSSA, "render", f"{work}/{c}-{depth}.json", "--spae", spae, "-o", f"{work}/{c}-{depth}.png"],
                           check=True, capture_output=True)
            renders.append(plt.imread(f"{work}/{c}-{depth}.png"))
        rows.append((images[i], renders, document["layers"][0]["tokens"][0]["word"], CLASSES[c]))
    depths = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), depths + 1, figsize=(1.3 * (depths + 1), 1.45 * len(rows)))
    for r, (original, renders, word, name) in enumerate(rows):
        axes[r][0].imshow(original, cmap="gray", vmin=0, vmax=255)
        axes[r][0].set_xlabel(f"{name}: “{word}”", fontsize=7)
        for d, image in enumerate(renders):
            axes[r][d + 1].imshow(image if image.ndim == 2 else image[..., 0], cmap="gray", vmin=0, vmax=1)
        for a in axes[r]:
            a.set_xticks([]), a.set_yticks([])
    axes[0][0].set_title("input", fontsize=8)
    for d in range(depths):
        axes[0][d + 1].set_title(f"{d + 1} layer{'s' if d else ''}", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
