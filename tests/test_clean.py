"""clean_text: whitespace, "Read More:" cross-links, social embeds and boilerplate lines."""

from __future__ import annotations

import pytest

from ingest.clean import clean_text, is_boilerplate_line

SEED_SENTENCES = [
    "ISLAMABAD: A high-level US delegation met with Pakistani officials in Islamabad on Friday",
    "for American industry. The delegation, led by Robert Louis Strayer II, president of the Critical "
    "Minerals Forum (CMF), met with Finance Minister Muhammad Aurangzeb",
    "According to an official statement, discussions focused on rare and niche metals",
    "Strayer previously noted. Mr Strayer said the CMF sought to",
    "He described Pakistan as having the potential to become a future hub for critical mineral development.",
    "transparent regulatory frameworks. In response, Finance Minister Aurangzeb said",
    "called on the Federal Minister for Finance & Revenue Senator Muhammad Aurangzeb and his team today. "
    "Aurangzeb also pointed to",
    "strategic competition with Beijing. Experts at the Atlantic Council have warned",
    "Strayer acknowledged that high investment risk and volatile mineral prices remain major barriers",
]


def test_seed_article_loses_boilerplate_and_keeps_every_sentence(seed_path):
    cleaned = clean_text(seed_path.read_text(encoding="utf-8"))
    for junk in ("Read More", "pic.twitter.com", "Copyright", "@Financegovpk", "Discussions focused on strengthening"):
        assert junk not in cleaned
    for headline in ("Geopolitical Bargaining Chip", "seeks global partners", "pushes for US partnership",
                     "collaboration set to transform"):
        assert headline not in cleaned
    for sentence in SEED_SENTENCES:
        assert sentence in cleaned
    assert "  " not in cleaned and not cleaned.startswith(("\n", " "))


def test_cleaning_is_idempotent(seed_path):
    once = clean_text(seed_path.read_text(encoding="utf-8"))
    assert clean_text(once) == once


# --- whitespace ----------------------------------------------------------------------


def test_whitespace_is_normalised():
    raw = "\ufeffFirst\u00a0 line\u200b here.\r\nSame\tparagraph.\r\n\r\n\r\n\n  Second   paragraph.  \n\n\n"
    assert clean_text(raw) == "First line here.\nSame paragraph.\n\nSecond paragraph."


def test_empty_and_blank_text():
    assert clean_text("") == ""
    assert clean_text(" \n\n\t ") == ""


# --- "Read More:" cross-links ---------------------------------------------------------


def test_title_case_headline_mid_text():
    raw = ("Copper rose on Monday. Read More: Why the Copper Rally Has Room to Run The exchange said "
           "stocks fell, traders reported.")
    assert clean_text(raw) == "Copper rose on Monday. The exchange said stocks fell, traders reported."


def test_sentence_case_headline_mid_text_with_acronym():
    raw = ("Copper rose on Monday. Also Read: Chile asks US firms to invest in lithium Officials said "
           "the plan was new.")
    assert clean_text(raw) == "Copper rose on Monday. Officials said the plan was new."


def test_headline_ending_a_paragraph():
    raw = "Copper rose on Monday. READ MORE: Chile expands lithium output\n\nNext paragraph."
    assert clean_text(raw) == "Copper rose on Monday.\n\nNext paragraph."


def test_cross_link_lines_are_dropped_whole():
    raw = ("First paragraph.\n\n► RELATED: Growing Power founder Will Allen to retire as debts mount\n\n"
           "See also: A | B | C\n\nRelated stories:\n\nRead more\n\nLast paragraph.")
    assert clean_text(raw) == "First paragraph.\n\nLast paragraph."


def test_marker_words_in_prose_are_kept():
    raw = "The two problems are related: one is cost, the other is time. Read more about it below."
    assert clean_text(raw) == raw


def test_quoted_headline():
    raw = 'Prices rose. Read More: "Copper\'s big year" The exchange said so.'
    assert clean_text(raw) == "Prices rose. The exchange said so."


# --- social embeds -------------------------------------------------------------------


@pytest.mark.parametrize("dash", ["—", "--", "–"])
def test_embedded_post_is_removed(dash):
    raw = (f"The minister met the envoy today. Talks focused on expanding trade with the U.S.… "
           f"pic.twitter.com/AbC123 {dash} Ministry of Trade (@TradeMin) March 3, 2025 The talks lasted two hours.")
    assert clean_text(raw) == "The minister met the envoy today. The talks lasted two hours."


def test_tco_links_and_standalone_credits_are_removed():
    raw = ("Watch the launch here: https://t.co/Xy12Ab\n\n"
           "— Space Agency (@SpaceAg) July 4, 2024\n\nThe rocket lifted off at noon.")
    assert clean_text(raw) == "Watch the launch here:\n\nThe rocket lifted off at noon."


def test_prose_with_a_handle_is_kept():
    raw = "Reporter Ann Lee — who posts as (@annlee) — covered the story."
    assert clean_text(raw) == raw


# --- boilerplate lines ---------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Copyright dailytimes",
        "Copyright 2024 The Associated Press. All rights reserved.",
        "© 2025 Daily Times",
        "All rights reserved.",
        "Advertisement",
        "ADVERTISEMENT - SCROLL TO CONTINUE",
        "Subscribe now",
        "Subscribe to our newsletter for daily updates.",
        "Share this article",
        "Follow us on Twitter and Facebook",
        "Follow Josh Hafner on Twitter: @joshhafner",
        "Click here to read the full report.",
        "Sign up for our breaking news alerts",
        "Story continues below advertisement",
    ],
)
def test_boilerplate_lines_are_dropped(line):
    assert is_boilerplate_line(line)
    assert clean_text(f"Real sentence one.\n\n{line}\n\nReal sentence two.") == "Real sentence one.\n\nReal sentence two."


@pytest.mark.parametrize(
    "line",
    [
        "Copyright law was changed in 2020 to protect news publishers.",
        "Subscribers to the service rose by 10 percent in the quarter.",
        "Subscribe to fewer streaming services",
        "Sign up for a store membership",
        "Advertising revenue fell 5 percent, the company said.",
        "Share prices rose after the announcement.",
        "Following us into the hall, the minister said the deal was done.",
        "He urged readers to subscribe, click here and share this article, "
        "then spent the rest of a very long speech on an entirely different topic altogether.",
    ],
)
def test_real_sentences_are_kept(line):
    assert not is_boilerplate_line(line)
    assert clean_text(line) == line


def test_terminal_escapes_and_control_characters_leave_the_body():
    text = "Red \x1b[31malert\x1b[0m here.\x1b]0;title\x07 Next\x85line \x9b2J\x07bell \ud800x.\tTab."
    assert clean_text(text) == "Red alert here. Next\nline 2Jbell x. Tab."
