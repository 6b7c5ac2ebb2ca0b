"""The `newsdesk` command: one entry point, subcommands, user errors as one clean line."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from app.checks import check_question, check_sources, parse_day
from app.server import serve as run_server
from app.interrupts import stop_requests
from app.terminal import RichProgress, follow_answer, print_answer
from eval.command import eval_command
from index.errors import EXIT_FAILED, NewsdeskError, UsageError
from ingest.readers import parse_fields
from newsdesk import articles
from newsdesk.engine import AnswerEngine
from newsdesk.settings import Settings, load_settings

app = typer.Typer(
    name="newsdesk",
    help="Ask questions about news articles; every claim cites the sentence behind it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: typer's rich help adds a "<bool>" type column to every flag
)
index_app = typer.Typer(help="Inspect and edit the index.", no_args_is_help=True)
app.add_typer(index_app, name="index")

IndexOpt = Annotated[
    Optional[Path],
    typer.Option("--index", help="Index folder (env NEWSDESK_INDEX).", show_default=False),
]
ConfigOpt = Annotated[
    Optional[Path],
    typer.Option("--config", help="Settings file (default: ./newsdesk.toml if present).", show_default=False),
]

EXIT_INTERRUPTED = 130


def _settings(config: Path | None, index: Path | None, **flags: object) -> Settings:
    return load_settings(config, index=index, **flags)


SourceOpt = Annotated[
    Optional[str], typer.Option(help="Publisher for articles that name none.", show_default=False)
]
DateOpt = Annotated[
    Optional[str],
    typer.Option("--date", metavar="YYYY-MM-DD", help="Publication date for articles that give none.", show_default=False),
]
TimeoutOpt = Annotated[
    float,
    typer.Option(
        "--timeout", envvar="NEWSDESK_FETCH_TIMEOUT", show_envvar=False,
        help="Seconds to wait for a web page or feed to answer (env NEWSDESK_FETCH_TIMEOUT).",
    ),
]
_ERR_KW = {"markup": False, "highlight": False}


def _is_url(arg: str) -> bool:
    return arg[:8].lower().startswith(("http://", "https://"))


def _web(urls: list[str], feeds: list[str], timeout: float) -> articles.WebSources:
    if not timeout > 0:
        raise UsageError(f"--timeout: {timeout:g} is not a number of seconds above 0")
    return articles.WebSources(tuple(urls), tuple(feeds), articles.FetchOptions(timeout=timeout))


def _print_lines(report: articles.IngestReport, err: Console, skip: set[str] | None = None) -> set[str]:
    """The report's per-article lines on stderr (those in `skip` left out); returns them all."""
    lines = [f"recovered {len(report.recovered)} article(s) left half-written by an interrupted ingest"] if report.recovered else []
    lines += [f"skipped {where}: {reason}" for where, reason in report.skipped]
    lines += [f"note    {where}: {reason}" for where, reason in report.notes]
    lines += [f"failed  {where}: {reason}" for where, reason in report.failed]
    for line in lines:
        if line not in (skip or set()):
            err.print(line, **_ERR_KW)
    return set(lines)


def _summary(report: articles.IngestReport, prune: bool) -> str:
    return (
        f"added {len(report.added)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}, skipped {len(report.skipped)}, "
        f"failed {len(report.failed)}"
        + (f", pruned {len(report.pruned)}" if prune else "")
        + f" ({report.chunks_written} chunks written)"
    )


@app.command()
def ingest(
    paths: Annotated[Optional[list[str]], typer.Argument(
        help="Article files or folders (searched recursively), and web pages (http:// or https:// URLs).",
        show_default=False)] = None,
    feed: Annotated[Optional[list[str]], typer.Option(
        "--feed", metavar="URL|FILE", help="An RSS or Atom feed: each item's article is ingested (repeatable).",
        show_default=False)] = None,
    source: SourceOpt = None,
    date: DateOpt = None,
    fields: Annotated[
        Optional[str],
        typer.Option(help="JSON field mapping, e.g. text=body,published_at=publish_date."),
    ] = None,
    prune: Annotated[bool, typer.Option(help="Remove indexed articles whose files are gone.")] = False,
    timeout: TimeoutOpt = 20.0,
    index: IndexOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Add new and changed articles (files, web pages, feed items) to the index; unchanged ones are skipped."""
    args, feeds = list(paths or []), list(feed or [])
    if not args and not feeds:
        raise UsageError("nothing to ingest - give files, folders, URLs or --feed URL (see newsdesk ingest --help)")
    urls = [arg for arg in args if _is_url(arg)]
    web = _web(urls, feeds, timeout)
    defaults = articles.batch_defaults(source, parse_day(date, "--date"))
    settings = _settings(config, index)
    try:
        field_map = parse_fields(fields) if fields else None
    except ValueError as exc:
        raise UsageError(f"--fields: {exc}") from None

    out = Console(soft_wrap=True)
    err = Console(stderr=True, soft_wrap=True)
    with RichProgress(err) as progress:
        try:
            report = articles.add_articles(
                [Path(arg) for arg in args if not _is_url(arg)], settings, fields=field_map, prune=prune,
                progress=progress, notify=lambda message: err.print(message, **_ERR_KW), web=web, defaults=defaults,
            )
        except KeyboardInterrupt:
            raise NewsdeskError(
                "interrupted - the index is consistent; run the same command again to finish", EXIT_INTERRUPTED
            ) from None
    _print_lines(report, err)
    out.print(_summary(report, prune), highlight=False)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


@app.command()
def watch(
    targets: Annotated[list[str], typer.Argument(
        help="Folders or files to keep indexed, and feeds: URLs, or .rss/.atom/.xml files.", show_default=False)],
    interval: Annotated[float, typer.Option(help="Seconds from the start of one round to the next.")] = 300.0,
    rounds: Annotated[Optional[int], typer.Option(help="Stop after this many rounds (default: run until Ctrl-C).",
                                                  show_default=False)] = None,
    source: SourceOpt = None,
    date: DateOpt = None,
    prune: Annotated[bool, typer.Option(help="Remove indexed articles whose files are gone.")] = False,
    timeout: TimeoutOpt = 20.0,
    index: IndexOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Keep folders and feeds indexed: ingest them again every --interval seconds (new and changed articles only)."""
    if not interval > 0:
        raise UsageError(f"--interval: {interval:g} is not a number of seconds above 0")
    if rounds is not None and rounds < 1:
        raise UsageError(f"--rounds: {rounds} is not a number of rounds - give 1 or more, or leave it out")
    feeds = [t for t in targets if _is_url(t) or Path(t).suffix.lower() in articles.FEED_SUFFIXES]
    web = _web([], feeds, timeout)
    defaults = articles.batch_defaults(source, parse_day(date, "--date"))
    settings = _settings(config, index)
    out = Console(soft_wrap=True, highlight=False)
    err = Console(stderr=True, soft_wrap=True)
    shown: set[str] = set()
    done = 0
    last_ok = True
    stopped = "stopped after {} round(s) - the index is consistent"
    try:
        with stop_requests() as stop:
            for turn in articles.watch(
                [Path(t) for t in targets if t not in feeds], settings, interval=interval, rounds=rounds, web=web,
                defaults=defaults, prune=prune, notify=lambda message: err.print(message, **_ERR_KW),
                sleep=stop.wait, stopped=stop.is_set,
            ):
                done = turn.number
                stamp = datetime.now().strftime("%H:%M:%S")
                if turn.report is None:
                    out.print(f"{stamp} round {turn.number}: nothing indexed - {turn.error}", markup=False)
                    last_ok = False
                    continue
                shown = _print_lines(turn.report, err, skip=shown)
                out.print(f"{stamp} round {turn.number}: {_summary(turn.report, prune)}", markup=False)
                last_ok = turn.report.ok
            if stop.is_set():
                out.print(stopped.format(done), markup=False)
                return
    except KeyboardInterrupt:  # the second Ctrl-C, inside a round
        out.print(stopped.format(done), markup=False)
        return
    if not last_ok:
        raise typer.Exit(EXIT_FAILED)


LLMOpt = Annotated[
    Optional[str],
    typer.Option("--llm", help="LLM backend: local, tiny, openai, ollama or fake (env NEWSDESK_LLM).", show_default=False),
]


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer object as JSON.")] = False,
    since: Annotated[
        Optional[str], typer.Option(metavar="YYYY-MM-DD", help="Only articles published on or after this date "
                                    "(undated articles are left out as soon as --since or --until is set).")
    ] = None,
    until: Annotated[
        Optional[str], typer.Option(metavar="YYYY-MM-DD", help="Only articles published on or before this date "
                                    "(undated articles are left out too).")
    ] = None,
    source: Annotated[
        Optional[list[str]], typer.Option(help="Only articles from this publisher (repeatable).")
    ] = None,
    llm: LLMOpt = None,
    index: IndexOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Answer a question from the indexed articles, citing the sentences that support it."""
    if not question.strip():
        raise UsageError("the question is empty - ask something, e.g. newsdesk ask \"Who met in Islamabad?\"")
    check_question(question)
    first, last = parse_day(since, "--since"), parse_day(until, "--until")
    settings = _settings(config, index, llm=llm)
    filters = articles.make_filters(
        since=first, until=last, sources=check_sources(settings, source or [], "--source")
    )
    live = not as_json and sys.stdout.isatty()  # evidence and draft only for a person watching
    stream = AnswerEngine(settings).stream(question, filters=filters)
    answer = follow_answer(stream, Console(stderr=True, soft_wrap=True, highlight=False) if live else None)
    if as_json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_answer(answer, Console(soft_wrap=True, highlight=False))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 opens it to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7860,
    auth: Annotated[Optional[str], typer.Option(help="USER:PASS to require a login (env NEWSDESK_UI_AUTH).", show_default=False)] = None,
    insecure_no_auth: Annotated[bool, typer.Option(
        "--insecure-no-auth",
        help="Allow a --host beyond this machine without a login (anyone reaching the port may add articles).",
    )] = False,
    llm: LLMOpt = None,
    index: IndexOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Serve the chat window (and the /ask API) over the index, on 127.0.0.1:7860 by default."""
    try:
        run_server(_settings(config, index, llm=llm), host, port, auth, insecure_no_auth=insecure_no_auth)
    except OSError as exc:  # port taken, address not local...
        reason = exc.strerror or "the port is in use"
        raise NewsdeskError(f"cannot serve on {host}:{port}: {reason} - try another --port or --host") from None


@index_app.command("stats")
def index_stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print the stats as JSON.")] = False,
    index: IndexOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Articles, chunks, sources, date range, undated articles and size of the index."""
    stats = articles.stats(_settings(config, index))
    if as_json:
        print(json.dumps(asdict(stats), ensure_ascii=False))
        return
    out = Console(highlight=False, soft_wrap=True)
    out.print(f"index:      {stats.location}")
    out.print(f"articles:   {stats.articles}")
    out.print(f"chunks:     {stats.chunks}")
    if stats.writing:
        out.print(f"writing:    {stats.writing} article(s) being written by an ingest now")
    out.print(f"sources:    {len(stats.sources)}", markup=False)
    for name, count in list(stats.sources.items())[:10]:
        out.print(f"  {count:6d}  {name}", markup=False)
    if len(stats.sources) > 10:
        out.print(f"  ... and {len(stats.sources) - 10} more")
    dates = f"{stats.first_date} .. {stats.last_date}" if stats.first_date else "(no dates)"
    out.print(f"dates:      {dates}")
    out.print(f"undated:    {stats.undated}" + (" (left out whenever a date filter is set)" if stats.undated else ""))
    size = f"{stats.size_bytes / 1e6:.1f} MB" if stats.size_bytes is not None else "(on the server)"
    out.print(f"on disk:    {size}")


@index_app.command("remove")
def index_remove(
    doc_ids: Annotated[list[str], typer.Argument(help="doc_id(s) to remove, as `index stats --json` or ask --json show them.")],
    index: IndexOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Remove articles (and their chunks) from the index."""
    err = Console(stderr=True, soft_wrap=True)
    removed = articles.remove_articles(
        _settings(config, index), doc_ids, notify=lambda message: err.print(message, markup=False, highlight=False)
    )
    for doc_id in doc_ids:
        print(f"removed {doc_id}" if doc_id in removed else f"not found {doc_id}")
    if len(removed) < len(doc_ids):
        raise typer.Exit(EXIT_FAILED)


@app.command("eval")
def eval_(
    target: Annotated[list[str], typer.Argument(
        help="DATASET: sample, multihop-rag, realtimeqa or a Q&A JSONL path; or: compare RUN_A RUN_B.")],
    data_dir: Annotated[Optional[Path], typer.Option(
        help="Folder holding <set>/queries.jsonl and articles.jsonl (default ../shared/data).", show_default=False)] = None,
    out: Annotated[Optional[Path], typer.Option(help="Run folder (default runs/<timestamp>).", show_default=False)] = None,
    limit: Annotated[Optional[int], typer.Option(help="A fixed, seeded sample of N questions.", show_default=False)] = None,
    articles: Annotated[Optional[int], typer.Option(
        help="Index only the set's first N articles (and its questions about them).", show_default=False)] = None,
    retrieval_only: Annotated[bool, typer.Option("--retrieval-only", help="Score retrieval only (no LLM).")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the stopped run in --out: ask only the questions it lacks.")] = False,
    baselines: Annotated[str, typer.Option(help="Side-by-side retrieval pipelines (comma list; '' for none).")] = "naive,dense,bm25",
    cache: Annotated[Optional[Path], typer.Option(help="Where set indexes are kept (default .newsdesk/eval).", show_default=False)] = None,
    llm: LLMOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Score answers, citations, abstentions and speed on a Q&A set, beside baselines; or compare two runs."""
    print(eval_command(target, data_dir=data_dir, out=out, limit=limit, articles=articles, retrieval_only=retrieval_only,
                       resume=resume, baselines=baselines, cache=cache, llm=llm, config=config))


def main(argv: list[str] | None = None, prog_name: str | None = None) -> None:
    """Console entry point: run the app, turning user errors into one line on stderr.

    `argv` and `prog_name` default to sys.argv (as click does); tests pass them to run
    this same entry point in-process. A value click cannot parse (`--port abc`, an unknown
    option) is one line too, not the usage box.
    """
    try:
        code = app(args=argv, prog_name=prog_name, standalone_mode=False)
    except typer.TyperException as exc:  # typer's own parse errors (it carries its own click)
        if type(exc).__name__ == "NoArgsIsHelpError":  # plain help mode leaves printing it to us
            ctx = getattr(exc, "ctx", None)
            print(ctx.get_help() if ctx is not None else "run `newsdesk --help`", file=sys.stderr)
        else:
            print(f"error: {_parse_error_line(exc)}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        sys.exit(EXIT_FAILED)
    except NewsdeskError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except Exception as exc:  # last resort: still one line, traceback only on request
        if os.environ.get("NEWSDESK_DEBUG"):
            raise
        print(
            f"error: unexpected {type(exc).__name__}: {exc} (set NEWSDESK_DEBUG=1 for details)",
            file=sys.stderr,
        )
        sys.exit(EXIT_FAILED)
    if isinstance(code, int) and code:  # a typer.Exit(code) without standalone mode
        sys.exit(code)


def _parse_error_line(exc: typer.TyperException) -> str:
    """One line for a value typer could not parse, e.g.
    "--port: Input should be a valid integer (see newsdesk serve --help)"."""
    param = getattr(exc, "param", None)
    if isinstance(exc, typer.BadParameter) and exc.message and param is not None:
        text = f"{param.get_error_hint().replace(chr(39), '')}: {exc.message}"
    else:
        text = exc.format_message()
    text = " ".join(text.split()).rstrip(".")
    ctx = getattr(exc, "ctx", None)
    return f"{text} (see {ctx.command_path} --help)" if ctx is not None else text


if __name__ == "__main__":
    main()
