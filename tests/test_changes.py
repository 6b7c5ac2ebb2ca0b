"""`answer_change`: the one line saying how the verified answer differs from the draft."""

from newsdesk.answer import Answer
from newsdesk.changes import WITHDRAWN, answer_change
from newsdesk.context import Candidate
from newsdesk.verify import verify_reply

SHOWN = [
    Candidate("d1", "US delegation visits", "Daily Times", "2025-10-31", "", 100, 180,
              "The delegation, led by Robert Louis Strayer II, met Finance Minister Muhammad Aurangzeb."),
    Candidate("d1", "US delegation visits", "Daily Times", "2025-10-31", "", 181, 260,
              "Discussions focused on copper and antimony."),
    Candidate("d2", "Copper record", "Minerals Monitor", "2025-10-03", "", 0, 60,
              "Copper reached $11,240 a tonne on Friday."),
    Candidate("d6", "Survey", "Mining Weekly", "2025-09-01", "", 0, 120,
              "The survey found that $42 billion of new investment is needed by 2030 to build mines outside China."),
]
Q = "Who led the US delegation?"


def _checked(question: str, draft: str) -> Answer:
    verdict = verify_reply(question, draft, SHOWN)
    return Answer(question, verdict.answer, verdict.abstained, verdict.citations)


def test_an_unchanged_draft_says_nothing():
    draft = "Robert Louis Strayer II led the delegation [1]."
    assert answer_change(draft, _checked(Q, draft)) is None
    # A marker the check adds to an uncited claim is no change of substance.
    uncited = "Robert Louis Strayer II led the delegation."
    assert _checked(Q, uncited).answer == draft and answer_change(uncited, _checked(Q, uncited)) is None
    assert answer_change("", _checked(Q, "")) is None  # nothing drafted


def test_removed_cut_corrected_and_unverified_are_counted():
    draft = "Robert Louis Strayer II led the delegation [1]. The talks were held on the moon in 1969 [3]."
    kept = _checked(Q, "Robert Louis Strayer II led the delegation [1].")
    assert answer_change(draft, kept) == "checked: 1 unsupported claim removed"
    cut = "Robert Louis Strayer II led the delegation, while Natalie Baker signed a $2 billion deal [1]."
    assert answer_change(cut, _checked(Q, cut)) == "checked: 1 claim cut back to what its sentences support"
    wrong = "Robert Louis Strayer II led the delegation [3]."
    assert answer_change(wrong, _checked(Q, wrong)) == "checked: 1 citation corrected"
    flagged = "Robert Louis Strayer II led the delegation [1]. He also visited Kabul on Tuesday [2]."
    line = answer_change(flagged, _checked(Q, flagged))
    assert line.startswith("checked: ") and "1 citation marked unverified" in line


def test_a_withdrawn_draft_and_a_quote_are_explained():
    q = "How much did the US pledge for lithium mines?"
    draft = "The US pledged $500 million for lithium mines [3]."
    assert answer_change(draft, _checked(q, draft)) == WITHDRAWN
    assert answer_change("INSUFFICIENT", _checked(q, "INSUFFICIENT")) is None  # the draft said so itself
    q = "How much new investment is needed by 2030 to build mines outside China?"
    vague = "The report says a great deal of money is required [4]."
    quoted = _checked(q, vague)
    assert quoted.answer.endswith('" [4].')
    assert answer_change(vague, quoted).startswith("checked: the draft's claims are not supported") and "[4]" in answer_change(vague, quoted)
