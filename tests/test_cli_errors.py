"""Every mistake on the command line is one line on stderr and exit code 2, never typer's
usage box: dates, unknown publishers, over-long questions, values typer cannot parse."""

from __future__ import annotations

import pytest

from tests.conftest import cli

NOWHERE = {"NEWSDESK_INDEX": "/nonexistent/newsdesk-index", "NEWSDESK_EMBEDDER": "fake", "NEWSDESK_LLM": "fake"}


def _one_line(result, expected: str, code: int = 2) -> None:
    assert result.returncode == code, result.stderr
    assert result.stderr.splitlines() == [expected], result.stderr
    assert result.stdout == ""


@pytest.fixture(scope="module")
def sample_env(sample_settings):
    return {"NEWSDESK_INDEX": str(sample_settings.index), "NEWSDESK_EMBEDDER": "fake", "NEWSDESK_LLM": "fake"}


def test_a_date_that_does_not_parse_is_one_line():
    _one_line(cli("ask", "Who met?", "--since", "yesterday", env=NOWHERE),
              "error: --since: 'yesterday' is not a date - use YYYY-MM-DD")
    _one_line(cli("ask", "Who met?", "--until", "2025-02-30", env=NOWHERE),
              "error: --until: '2025-02-30' is not a date - use YYYY-MM-DD")


def test_until_before_since_is_one_line():
    _one_line(cli("ask", "Who met?", "--since", "2025-12-01", "--until", "2025-01-01", env=NOWHERE),
              "error: the date range is empty: since 2025-12-01 is after until 2025-01-01")


def test_unknown_source_names_it_and_some_known_publishers(sample_env):
    result = cli("ask", "Who led the US delegation?", "--source", "Foo", env=sample_env)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: --source: no articles from 'Foo' in the index - known: ")
    assert "Daily Times" in result.stderr and "Minerals Monitor" in result.stderr
    # Case is forgiven: the publisher is found and the question answered.
    answered = cli("ask", "Who led the US delegation?", "--source", "daily times", "--json", env=sample_env)
    assert answered.returncode == 0 and '"source": "Daily Times"' in answered.stdout


def test_an_over_long_question_is_refused_before_the_engine():
    # The index does not exist: had the engine been asked, it would have said so.
    _one_line(cli("ask", "why " * 600, env=NOWHERE), "error: the question is 2,400 characters long - ask in at most 2,000")


def test_values_typer_cannot_parse_are_one_line():
    _one_line(cli("serve", "--port", "abc"),
              "error: --port: Input should be a valid integer, unable to parse string as an integer "
              "(see newsdesk serve --help)")
    _one_line(cli("ask"), "error: Missing argument 'question' (see newsdesk ask --help)")
    _one_line(cli("ask", "Who met?", "--bogus"), "error: No such option: --bogus (see newsdesk ask --help)")


def test_serve_on_the_network_without_a_login_is_one_line():
    result = cli("serve", "--host", "0.0.0.0", env=NOWHERE)
    _one_line(result, "error: --host 0.0.0.0 opens the chat to the network without a login - add --auth "
                      "USER:PASS (or set ui_auth), or pass --insecure-no-auth to serve it open anyway")


def test_help_and_no_arguments_still_work():
    assert cli("--help").returncode == 0 and "serve" in cli("--help").stdout
    assert "--insecure-no-auth" in cli("serve", "--help").stdout
    bare = cli()
    assert bare.returncode == 2 and "ask" in bare.stdout + bare.stderr
