"""WordLlama's files, read from its installed wheel: the embedding table (memory-mapped) and the tokenizer.

Nothing is downloaded and `wordllama` itself is never imported (its import configures the root
logger, and its loader looks for the tokenizer in a folder the wheel does not have, then on the
Hugging Face Hub). A missing package or an unreadable file raises ModelUnavailable: the engine
then answers with the lexical signal alone.
"""

from __future__ import annotations

import importlib.util
import json
import struct
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

PACKAGE = "wordllama"
WEIGHTS = "weights/l2_supercat_256.safetensors"
TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
#: The table's leading dimensions the engine uses. WordLlama's vectors are trained to be cut (Matryoshka: its
#: `trunc_dim`); cut to 128 of 256, the refitted decision cross-validated the same on the fit sets (86.1%
#: in-scope at 93.1% abstention, against 85.8% at 93.1%), and every fact vector and matrix product is half,
#: as are the load cache's vector files.
DIMS = 128
#: The embedding table's name in the weights file.
TENSOR = "embedding.weight"


class ModelUnavailable(RuntimeError):
    """The embedding model's package is missing or its files cannot be read."""


def package_folder() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"the '{PACKAGE}' package is not installed (pip install -r requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


def read_tokenizer(path: Path) -> Tokenizer:
    """The model's tokenizer, without padding nor truncation; raises ModelUnavailable."""
    try:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # a missing dependency or an unreadable file
        raise ModelUnavailable(f"cannot read the embedding model's tokenizer {path}: {exc}") from exc
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def mapped_table(path: Path) -> np.ndarray:
    """The safetensors file's one 2-D half-precision table, memory-mapped, not read.

    A question reads a few dozen rows of the 32,000: mapping the file costs nothing at start,
    where converting the whole table to single precision took a fifth of a second. Rows are
    converted as they are read (exactly: every half-precision value is a single-precision one).
    The format is a little-endian header length, a JSON header, then the raw data; anything
    else than the one expected tensor is refused.
    """
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) != 8:
            raise ValueError("not a safetensors file (too short)")
        (size,) = struct.unpack("<Q", head)
        if not 2 <= size <= 1 << 20:
            raise ValueError(f"not a safetensors file (header of {size} bytes)")
        header = json.loads(handle.read(size))
    tensor = header.get(TENSOR) if isinstance(header, dict) else None
    if not isinstance(tensor, dict) or tensor.get("dtype") != "F16":
        raise ValueError(f"no half-precision '{TENSOR}' tensor")
    shape, (begin, end) = tuple(tensor["shape"]), tensor["data_offsets"]
    if len(shape) != 2 or end - begin != shape[0] * shape[1] * 2 or 8 + size + end > path.stat().st_size:
        raise ValueError(f"'{TENSOR}' has shape {shape} but {end - begin} bytes")
    # A plain ndarray view (the map stays open through it): numpy subclasses never leak into results.
    return np.memmap(path, dtype="<f2", mode="r", offset=8 + size + begin, shape=shape).view(np.ndarray)


def package_version(folder: Path) -> str:
    """The installed package's version, from its dist-info folder (importlib.metadata costs a tenth of a second)."""
    found = list(folder.parent.glob(f"{PACKAGE}-*.dist-info"))
    if len(found) == 1:
        return found[0].name[len(PACKAGE) + 1 : -len(".dist-info")]
    from importlib.metadata import version

    return version(PACKAGE)
