"""The Gradio Blocks layout of the chat window, wired to the Desk's handlers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from app import render
from app.checks import MAX_QUESTION_CHARS
from app.desk import Desk, Filters, Session, problem
from newsdesk.articles import supported_suffixes

if TYPE_CHECKING:
    import gradio as gr

ASSETS = Path(__file__).parent / "assets"
# Uploads run one at a time (beside answers: each holds the index's writer lease).
UPLOAD_QUEUE = "uploads"
# Chat replies and /ask calls. How many are answered at once is the Desk's line
# (`desk.line`): the rest wait in it, running, so a chat reply can show its place. Each
# waiting call holds a worker thread, so past this many waiting ones Gradio's own queue
# holds the newest (its "queue: n/m" shows on the chat) until there is room in the line.
ANSWER_QUEUE = "answers"
MAX_WAITING = 16


def build_ui(desk: Desk) -> gr.Blocks:
    """The chat window over `desk`, plus the `/ask` API endpoint."""
    import gradio as gr

    with gr.Blocks(title="newsdesk", analytics_enabled=False, fill_width=True) as ui:
        session = gr.State(None)  # a Session, made on the first question
        header = gr.HTML(desk.header, elem_id="nd-header")
        # While the models load, the header is polled until it says "ready".
        header_poll = gr.Timer(1.0, active=desk.status == "loading")
        # Ids on the row and columns let ui.css restack them on a phone: conversation,
        # question, sources, then the accordions.
        with gr.Row(equal_height=False, elem_id="nd-main"):
            with gr.Column(scale=3, elem_id="nd-left"):
                chat = gr.Chatbot(
                    elem_id="nd-chat",
                    label="Conversation",
                    show_label=False,  # a floating label would sit over scrolled messages
                    height=520,
                    sanitize_html=True,
                    feedback_options=None,
                    buttons=["copy"],
                    placeholder="Ask about the indexed articles. Each claim cites the sentence behind it.",
                )
                with gr.Row(elem_id="nd-ask-row"):
                    question = gr.Textbox(
                        elem_id="nd-question",
                        placeholder="Ask a question about the articles...",
                        show_label=False,
                        scale=5,
                        autofocus=True,
                        submit_btn="Ask",
                        max_length=MAX_QUESTION_CHARS,
                    )
                    new_chat = gr.Button("New chat", elem_id="nd-new-chat", scale=1, variant="secondary")
                with gr.Accordion("Filters", open=False, elem_id="nd-filters"):
                    with gr.Row():
                        since = gr.DateTime(label="From", include_time=False, type="string", elem_id="nd-since")
                        until = gr.DateTime(label="To", include_time=False, type="string", elem_id="nd-until")
                    undated_note = gr.Markdown(desk.date_note, elem_id="nd-undated")
                    publishers = gr.Dropdown(
                        label="Publishers", multiselect=True, choices=[], elem_id="nd-publishers"
                    )
                with gr.Accordion("Add articles", open=False, elem_id="nd-add-articles"):
                    files = gr.File(
                        label="Upload .txt .md .html .json .jsonl .pdf",
                        file_count="multiple",
                        file_types=list(_suffixes()),
                        elem_id="nd-upload",
                    )
                    with gr.Row():
                        upload_source = gr.Textbox(
                            label="Source (optional)", placeholder="Publisher, for files that name none",
                            max_lines=1, max_length=200, elem_id="nd-upload-source",
                        )
                        upload_date = gr.DateTime(
                            label="Date (optional)", include_time=False, type="string", elem_id="nd-upload-date",
                            info="Publication date, for files that give none",
                        )
                    add = gr.Button("Index these files", elem_id="nd-add")
                    added = gr.Textbox(label="Indexing report", lines=4, interactive=False, elem_id="nd-added")
            with gr.Column(scale=2, elem_id="nd-right"):
                choose = gr.Radio(label="Sources", choices=[], elem_id="nd-choose", visible=False)
                panel = gr.HTML(desk.sources(Session()), elem_id="nd-sources")
        pick = gr.Textbox(visible="hidden", elem_id="nd-pick")

        def respond(text: str, state: Session, a: Any, b: Any, pubs: list[str] | None):
            shown = None  # the message whose evidence the panel shows
            told = None  # the place in line the chat shows
            for state in desk.respond(text, state or Session(), Filters(a, b, list(pubs or []))):
                if state.waiting is not None:
                    if told is None:  # the question joins the chat and leaves the box
                        yield _view(desk, state, "")
                    elif state.waiting != told:
                        yield state, list(state.messages), gr.skip(), gr.skip(), gr.skip()
                    else:  # a heartbeat, which lets Gradio end the reply of a user who left
                        yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                    told = state.waiting
                    continue
                drafting = desk.drafting(state)
                if drafting is not None and drafting[0] != shown:
                    shown = drafting[0]
                    yield state, list(state.messages), gr.update(choices=[], value=None, visible=False), drafting[1], gr.skip()
                elif state.streaming or drafting is not None:
                    yield state, list(state.messages), gr.skip(), gr.skip(), gr.skip()
                else:
                    yield _view(desk, state, "")

        def choose_source(state: Session, choice: str | None):
            return desk.pick(state or Session(), choice or "")

        def clicked_marker(state: Session, value: str):
            state = state or Session()
            panel_html = desk.pick(state, value)
            choices = desk.source_choices(state)
            return panel_html, gr.update(choices=choices, value=_choice(value), visible=bool(choices))

        def start_over():
            fresh = desk.new_chat()
            return fresh, [], gr.update(choices=[], value=None, visible=False), desk.sources(fresh), ""

        # Gradio hands the request in by its annotation (set below), the inputs fill the other
        # parameters in order: files, the form's Source and Date, the filters' From and To.
        def upload(
            paths: list[str] | None, request=None, source: str | None = None, day: Any = None, a: Any = None,
            b: Any = None, progress=gr.Progress(),
        ):
            user = getattr(request, "username", None)
            report = desk.add_files(
                list(paths or []), lambda f, d: progress(f, desc=d), user=user, source=source, date=day
            )
            return report, desk.header(), gr.update(choices=desk.publisher_choices()), None, desk.date_note(a, b)

        # Gradio hands the request to the parameter annotated gr.Request; under
        # `from __future__ import annotations` that annotation would be a string naming `gr`,
        # which is no module global, so Gradio could not resolve it.
        upload.__annotations__["request"] = gr.Request

        def refresh():
            return desk.header(), gr.update(choices=desk.publisher_choices()), gr.Timer(active=desk.status == "loading")

        def poll_header():
            return desk.header(), gr.Timer(active=desk.status == "loading")

        running = desk.answers_at_once() + MAX_WAITING  # answered or waiting in the line
        asked = question.submit(
            respond,
            [question, session, since, until, publishers],
            [session, chat, choose, panel, question],
            concurrency_id=ANSWER_QUEUE,
            concurrency_limit=running,
            show_progress="full",
            show_progress_on=[chat],
            api_visibility="private",
        )
        choose.input(choose_source, [session, choose], [panel], api_visibility="private")
        pick.change(clicked_marker, [session, pick], [panel, choose], api_visibility="private")
        # Starting over ends the reply in progress: it leaves the line, or frees its slot.
        for cleared in (new_chat.click, chat.clear):
            cleared(start_over, None, [session, chat, choose, panel, question], api_visibility="private", cancels=[asked])
        add.click(
            upload,
            [files, upload_source, upload_date, since, until],
            [added, header, publishers, files, undated_note],
            concurrency_id=UPLOAD_QUEUE,
            concurrency_limit=1,
            api_visibility="private",
        )
        ui.load(refresh, None, [header, publishers, header_poll], api_visibility="private")
        header_poll.tick(poll_header, None, [header, header_poll], api_visibility="private", show_progress="hidden")
        for bound in (since, until):
            bound.change(desk.date_note, [since, until], [undated_note], api_visibility="private")

        def ask(question: str, since: str = "", until: str = "", sources: list[str] | None = None) -> dict:
            """Answer `question` from the indexed articles: the Answer object (ARCHITECTURE.md) as JSON,
            with each cited sentence, its article and its [start, end) offsets."""
            try:
                return desk.ask(question, since, until, sources)
            except Exception as exc:  # the caller gets one line, never a traceback
                raise gr.Error(problem(exc, question), print_exception=False) from None

        gr.api(ask, api_name="ask", concurrency_id=ANSWER_QUEUE, concurrency_limit=running)
    return ui


def _view(desk: Desk, state: Session, question_box: str) -> tuple[Any, ...]:
    import gradio as gr

    for msg, line in state.changes.items():  # what the check changed, under its answer
        if msg in state.answers and msg < len(state.messages):
            state.messages[msg]["content"] = render.with_change(state.messages[msg]["content"], line)
    choices = desk.source_choices(state)
    first = choices[0][1] if choices else None
    return (
        state, list(state.messages), gr.update(choices=choices, value=first, visible=bool(choices)),
        desk.sources(state), question_box,
    )


def _choice(value: str) -> str | None:
    parts = (value or "").split(":")
    return f"{parts[0]}:{parts[1]}" if len(parts) >= 2 else None


def _suffixes() -> tuple[str, ...]:
    return supported_suffixes()


def launch_options(desk: Desk) -> dict[str, Any]:
    """Keyword arguments for `launch`: local assets, no share link, upload size limit."""
    return {
        "share": False,
        "ssr_mode": False,
        "max_file_size": f"{desk.settings.upload_max_mb}mb",
        "css_paths": [ASSETS / "ui.css"],
        "js": (ASSETS / "ui.js").read_text(encoding="utf-8"),
        "footer_links": ["api"],
        "show_error": False,
        "quiet": True,
    }
