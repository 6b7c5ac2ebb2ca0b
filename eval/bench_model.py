"""The local LLM's speed lever by lever, on the real answer prompts of MultiHop-RAG dev questions.

    python -m eval.bench_model [--n 8] [--levers default,poll0,...] [--rerecord]
    python -m eval.bench_model --report-only

First records the exact requests the engine sends the LLM for the first N questions of
the dev sample (`newsdesk eval multihop-rag --limit 100`: answer calls, and verdict calls
for yes/no questions) into eval/reports/model_prompts.json, reused afterwards. Then, per
lever, a child process loads the model once with that lever's CommonParams, caches the
answer prompt's fixed prefix as the engine does (prefill), replays every recorded request
non-streamed in order and keeps llama.cpp's own timings and the reply. Results go to
eval/reports/model_levers.json (one entry per lever, kept across runs) and the table to
eval/reports/model_levers.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eval.reporting import machine, percentile
from eval.set_index import DEFAULT_CACHE, open_set_index
from eval.sets import REPO, resolve_set, sample_items
from newsdesk.engine import AnswerEngine, answer_prefix
from newsdesk.llm_local import XLlamaCppLLM
from newsdesk.model_cache import ensure_local_model
from newsdesk.settings import load_settings
from prompts import render

REPORTS = REPO / "eval" / "reports"
PROMPTS = REPORTS / "model_prompts.json"
RESULTS = REPORTS / "model_levers.json"
DEV_LIMIT = 100  # the dev eval's sample size; its first N questions are replayed
FIRST_TOKEN_TARGET_MS = 4000


def _threads(n: int):
    def tweak(p: Any) -> None:
        p.cpuparams.n_threads = n
        p.cpuparams_batch.n_threads = n
    return tweak


def _poll(value: int):
    def tweak(p: Any) -> None:
        p.cpuparams.poll = value
        p.cpuparams_batch.poll = value
    return tweak


def _set(**values: Any):
    def tweak(p: Any) -> None:
        for name, value in values.items():
            setattr(p, name, value)
    return tweak


def _flash(kind: str):
    def tweak(p: Any) -> None:
        import xllamacpp

        p.flash_attn_type = getattr(xllamacpp.llama_flash_attn_type, f"LLAMA_FLASH_ATTN_TYPE_{kind}")
    return tweak


def _speculative(kind: str):
    """Prompt-lookup drafting: up to 16 tokens copied from the prompt after a 4-token match.

    llama.cpp's defaults draft 48 tokens; on 2 cores checking a draft costs about what
    reading that many prompt tokens does, so shorter drafts lose less when rejected.
    """
    def tweak(p: Any) -> None:
        import xllamacpp

        spec = p.speculative  # the sub-objects are views into p: set in place
        spec.types = [getattr(xllamacpp.common_speculative_type, f"COMMON_SPECULATIVE_TYPE_{kind}")]
        spec.draft.n_max, spec.draft.n_min = 16, 0
        for cfg in (spec.ngram_simple, spec.ngram_map_k):
            cfg.size_n, cfg.size_m, cfg.min_hits = 4, 16, 1
        spec.ngram_mod.n_match, spec.ngram_mod.n_min, spec.ngram_mod.n_max = 4, 2, 16
    return tweak


# The levers were measured when `llm_repack` defaulted to on: "default" and "norepack" in
# eval/reports/model_levers.md are repack on and off. With today's default (off) the
# "repack" lever turns it back on and "norepack" equals "default".
LEVERS: dict[str, Any] = {
    "default": None,
    "repack": _set(no_extra_bufts=False),
    "poll0": _poll(0),
    "poll100": _poll(100),
    "norepack": _set(no_extra_bufts=True),
    "flash_on": _flash("ENABLED"),
    "flash_off": _flash("DISABLED"),
    "ubatch256": _set(n_ubatch=256),
    "ubatch1024": _set(n_ubatch=1024),
    "spec_ngram_simple": _speculative("NGRAM_SIMPLE"),
    "spec_ngram_mod": _speculative("NGRAM_MOD"),
    "spec_ngram_map_k": _speculative("NGRAM_MAP_K"),
    "threads1": _threads(1),
    "q4_0": None,  # the model requantized to Q4_0 (requantize_q4_0), default params
}


class LeverLLM(XLlamaCppLLM):
    """The local LLM with one lever applied to its CommonParams; records every request it is sent."""

    lever: str = "default"

    def _params(self) -> Any:
        params = super()._params()
        tweak = LEVERS.get(self.lever)
        if tweak is not None:
            tweak(params)
        return params

    def _generate(self, request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        _RECORD.append({"streamed": False, "request": request})
        return super()._generate(request)

    def _stream(self, request: dict[str, Any]):
        _RECORD.append({"streamed": True, "request": request})
        yield from super()._stream(request)


_RECORD: list[dict[str, Any]] = []


def call_kind(request: dict[str, Any]) -> str:
    """Which prompt template a request was rendered from: answer, verdict, condense or other."""
    first = (request.get("messages") or [{}])[0].get("content", "")
    for name in ("answer", "verdict", "condense", "choose"):
        opening = render(name, articles="", question="", history="")[0][1][:200]
        if opening and first.startswith(opening):
            return name
    return "other"


def record_prompts(n: int, path: Path = PROMPTS) -> list[dict[str, Any]]:
    """Ask the first `n` dev questions through the real engine and save every LLM request it made."""
    settings = load_settings(None, llm="local")
    evalset = resolve_set("multihop-rag")
    items = sample_items(evalset.load(), DEV_LIMIT)[:n]
    opened = open_set_index(evalset, settings, DEFAULT_CACHE)
    llm = LeverLLM.from_settings(settings, ensure_local_model(settings.model_cache), "local")
    engine = AnswerEngine(opened.settings, llm=llm, store=opened.store)
    engine.warm_up()
    _RECORD.clear()  # the prefill is replayed by every lever run itself
    calls = []
    for item in items:
        answer = engine.ask(item.question)
        for call in _RECORD:
            calls.append({"qid": item.qid, "question": item.question, "kind": call_kind(call["request"]), **call})
        print(f"{item.qid}: {len(_RECORD)} call(s), {answer.timings}", flush=True)
        _RECORD.clear()
    path.write_text(json.dumps({"set": "multihop-rag", "dev_limit": DEV_LIMIT, "n": n, "calls": calls},
                               indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return calls


def requantize_q4_0(src: Path, dst: Path) -> Path:
    """A Q4_0 copy of the Q4_K_M GGUF `src` (the `gguf` package, numpy only): every block matmul
    weight is dequantized and requantized to Q4_0; output and token embedding stay as they are.

    Q4_0 from Q4_K is a second rounding, so replies may drift from the Q4_K_M model's.
    """
    try:
        import gguf
        from gguf import GGMLQuantizationType as Q
    except ImportError:
        raise SystemExit("the q4_0 lever needs the gguf package, which newsdesk does not install: "
                         "pip install gguf==0.19.0 (measured with that version)") from None

    if dst.is_file():
        return dst
    reader = gguf.GGUFReader(src)
    arch = reader.fields["general.architecture"].contents()
    writer = gguf.GGUFWriter(str(dst) + ".part", arch)
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name in ("general.architecture", "general.file_type"):
            continue
        sub = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), field.types[0], sub_type=sub)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_0)
    for tensor in reader.tensors:
        data, kind = tensor.data, tensor.tensor_type
        if tensor.name.startswith("blk.") and kind in (Q.Q4_K, Q.Q6_K):
            data, kind = gguf.quants.quantize(gguf.quants.dequantize(data, kind), Q.Q4_0), Q.Q4_0
        writer.add_tensor(tensor.name, data, raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    Path(str(dst) + ".part").rename(dst)
    return dst


def run_lever(lever: str, calls: list[dict[str, Any]]) -> dict[str, Any]:
    """Load the model with `lever`, cache the prompt prefix, replay `calls`; timings and replies."""
    settings = load_settings(None, llm="local")
    model = ensure_local_model(settings.model_cache)
    if lever == "q4_0":
        model = requantize_q4_0(model, model.with_name(model.stem.replace("q4_k_m", "q4_0") + "-requant.gguf"))
    llm = LeverLLM(model_path=str(model), model_name="local",
                   context_window=settings.llm_context, max_tokens=settings.llm_max_tokens,
                   n_threads=settings.llm_threads, state_dir=None, lever=lever)
    llm.load()
    started = time.perf_counter()
    llm.prefill(answer_prefix())
    prefill_ms = round((time.perf_counter() - started) * 1000)
    rows = []
    server = llm._get_server()
    for call in calls:
        request = {k: v for k, v in call["request"].items() if k != "stream"}
        t0 = time.perf_counter()
        result = server.handle_chat_completions(request)
        wall = (time.perf_counter() - t0) * 1000
        if "error" in result:
            raise RuntimeError(f"{lever}: {result['error']}")
        timings = result.get("timings") or {}
        rows.append({"qid": call["qid"], "kind": call["kind"], "wall_ms": round(wall),
                     "reply": result["choices"][0]["message"]["content"] or "",
                     "timings": {k: v for k, v in timings.items() if isinstance(v, (int, float))}})
        print(f"{lever} {call['qid']} {call['kind']}: {rows[-1]['timings']} wall {rows[-1]['wall_ms']}", flush=True)
    return {"lever": lever, "load_s": llm.load_seconds, "prefill_ms": prefill_ms,
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "rows": rows}


def _p50(values: list[float]) -> int | None:
    return round(percentile(values, 50)) if values else None


def summarize(result: dict[str, Any], default: dict[str, Any] | None) -> dict[str, Any]:
    """One table row: prompt tok/s (all calls), generation tok/s (answer calls), per-question
    first-token-equivalent (prompt_ms of its calls) and total wall p50, replies same as the default's."""
    rows = result["rows"]
    t = [r["timings"] for r in rows]
    answers = [r["timings"] for r in rows if r["kind"] == "answer"]
    prompt_n, prompt_ms = sum(x.get("prompt_n", 0) for x in t), sum(x.get("prompt_ms", 0) for x in t)
    gen_n, gen_ms = sum(x.get("predicted_n", 0) for x in answers), sum(x.get("predicted_ms", 0) for x in answers)
    first: dict[str, float] = {}
    total: dict[str, float] = {}
    for r in rows:
        first[r["qid"]] = first.get(r["qid"], 0) + r["timings"].get("prompt_ms", 0)
        total[r["qid"]] = total.get(r["qid"], 0) + r["wall_ms"]
    same = None
    if default is not None and len(default["rows"]) == len(rows):
        same = sum(a["reply"] == b["reply"] for a, b in zip(rows, default["rows"]))
    drafted = sum(x.get("draft_n", 0) for x in answers)
    accepted = sum(x.get("draft_n_accepted", 0) for x in answers)
    return {
        "lever": result["lever"],
        "prompt_tok_s": round(prompt_n / prompt_ms * 1000, 1) if prompt_ms else None,
        "gen_tok_s": round(gen_n / gen_ms * 1000, 1) if gen_ms else None,
        "first_token_ms_p50": _p50(list(first.values())),
        "total_ms_p50": _p50(list(total.values())),
        "same_replies": f"{same}/{len(rows)}" if same is not None else "-",
        "draft": f"{accepted}/{drafted}" if drafted else "",
        "prompt_tokens_p50": _p50([x.get("prompt_n", 0) for x in t]),
        "cached_tokens_p50": _p50([x.get("cache_n", 0) for x in t]),
        "prefill_ms": result["prefill_ms"],
        "loadavg": result.get("loadavg_after"),
    }


def verdict_line(row: dict[str, Any], base: dict[str, Any] | None) -> str:
    """A one-line judgement of a lever against the default run."""
    if base is None or row["lever"] == "default":
        return "baseline"
    gain = 1 - row["total_ms_p50"] / base["total_ms_p50"] if base["total_ms_p50"] else 0
    first = 1 - row["first_token_ms_p50"] / base["first_token_ms_p50"] if base["first_token_ms_p50"] else 0
    same = row["same_replies"].split("/")
    identical = same[0] == same[-1]
    words = f"total {gain:+.0%}, first token {first:+.0%} vs default (positive = faster)"
    if identical and (gain > 0.05 or first > 0.05):
        return f"worth making default: identical replies, {words}"
    if not identical and gain > 0.05:
        return f"faster but replies differ ({row['same_replies']} same): {words}"
    return f"no gain (within noise or slower): {words}"


def write_report(results: dict[str, Any], n_calls: int, out: Path = REPORTS) -> Path:
    """Write model_levers.md from the stored lever results."""
    base = results.get("default")
    rows = [summarize(r, base) for r in results.values() if isinstance(r, dict) and "rows" in r]
    base_row = next((r for r in rows if r["lever"] == "default"), None)
    header = ("| lever | prompt tok/s | gen tok/s | first-token-eq ms p50 | total ms p50 | same replies "
              "| draft accepted | verdict |\n|---|---|---|---|---|---|---|---|")
    lines = [f"| {r['lever']} | {r['prompt_tok_s']} | {r['gen_tok_s']} | {r['first_token_ms_p50']} | "
             f"{r['total_ms_p50']} | {r['same_replies']} | {r['draft']} | {verdict_line(r, base_row)} |" for r in rows]
    view = ""
    if base_row and base_row["prompt_tok_s"]:
        budget = round(base_row["prompt_tok_s"] * FIRST_TOKEN_TARGET_MS / 1000)
        calls = "\n".join(f"| {r['qid']} | {r['kind']} | {r['timings'].get('cache_n')} | {r['timings'].get('prompt_n')} | "
                          f"{round(r['timings'].get('prompt_ms', 0))} | {r['timings'].get('predicted_n')} |"
                          for r in base["rows"])
        view = (f"\n## Prompt size (default run)\n\n| question | call | cached tokens | new prompt tokens | prompt ms "
                f"| generated |\n|---|---|---|---|---|---|\n{calls}\n\nAt {base_row['prompt_tok_s']} prompt tok/s, "
                f"a first token in <= 4 s allows about {budget} new (uncached) prompt tokens per question; the "
                f"calls above read p50 {base_row['prompt_tokens_p50']}. Caching the answer prefix took "
                f"{base_row['prefill_ms']} ms once per load.\n")
    text = (f"# Local LLM speed, lever by lever\n\n`python -m eval.bench_model`\n\n"
            f"{machine()}; load average {results.get('loadavg', os.getloadavg())}; {results.get('date', '')}.\n"
            f"{n_calls} recorded LLM calls from the first MultiHop-RAG dev questions, replayed non-streamed "
            "after the answer prompt's prefix is cached. first-token-eq = llama.cpp prompt_ms summed over a "
            "question's calls (the wait before the first token, less one token's generation); total = wall time of all "
            "calls for one question; verdict calls (yes/no questions, 1 token) count in both; "
            "same replies = calls whose reply is byte-identical to the default's.\n\n"
            f"{header}\n" + "\n".join(lines) + "\n" + view + results.get("notes", ""))
    path = out / "model_levers.md"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    """Record the prompts if needed, run each lever in its own process, write the report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=8, help="dev questions to record")
    parser.add_argument("--levers", default=",".join(LEVERS), help="comma-separated: " + ",".join(LEVERS))
    parser.add_argument("--rerecord", action="store_true", help="record the prompts again")
    parser.add_argument("--report-only", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        calls = json.loads(PROMPTS.read_text(encoding="utf-8"))["calls"]
        print("RESULT " + json.dumps(run_lever(args.child, calls), ensure_ascii=False), flush=True)
        return
    if args.rerecord or not PROMPTS.is_file() or json.loads(PROMPTS.read_text(encoding="utf-8"))["n"] != args.n:
        record_prompts(args.n)
    calls = json.loads(PROMPTS.read_text(encoding="utf-8"))["calls"]
    results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.is_file() else {}
    if not args.report_only:
        for lever in [x for x in args.levers.split(",") if x]:
            if lever not in LEVERS:
                parser.error(f"unknown lever {lever}")
            # A process per lever: llama.cpp's memory and thread pool start clean each time.
            proc = subprocess.run([sys.executable, "-m", "eval.bench_model", "--child", lever],
                                  capture_output=True, text=True, cwd=REPO)
            found = [line[7:] for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
            if proc.returncode or not found:
                print(f"{lever} failed: {proc.stderr[-2000:]}", file=sys.stderr)
                continue
            results[lever] = json.loads(found[-1])
            results["loadavg"] = [round(x, 2) for x in os.getloadavg()]
            results["date"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
            RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print(json.dumps(summarize(results[lever], results.get("default"))), flush=True)
    print(write_report(results, len(calls)))


if __name__ == "__main__":
    main()
