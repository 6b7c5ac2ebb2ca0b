"""The text-quality gate: real articles in any script pass, random bytes and characters don't."""

from __future__ import annotations

import random

import pytest

from ingest import quality
from ingest.clean import clean_text
from ingest.readers import readable_articles
from tests.conftest import SAMPLE, data_file
from tests.test_hostile_inputs import random_bytes

SCRIPTS = {
    "english": "The council approved the budget on Tuesday after a long debate, officials said.",
    "french": "Le gouvernement a annoncé mardi de nouvelles mesures pour soutenir l'économie.",
    "russian": "Президент России в среду провёл совещание с членами правительства.",
    "greek": "Η κυβέρνηση ανακοίνωσε την Τρίτη νέα μέτρα για τη στήριξη της οικονομίας.",
    "arabic": "أعلنت الحكومة يوم الثلاثاء عن خطة جديدة لدعم الاقتصاد الوطني.",
    "hindi": "भारत के प्रधानमंत्री ने मंगलवार को नई दिल्ली में एक बैठक की।",
    "chinese": "中国商务部周四宣布，将对稀土出口实施新的管制措施。该措施将于下月生效。",
    "japanese": "日本銀行は火曜日、金融政策決定会合で政策金利を据え置くことを決めた。",
    "korean": "정부는 화요일 새로운 경제 정책을 발표했다. 이 정책은 다음 달부터 시행된다.",
    "results table": "Men\n\n1, Jim Johnson III, Dover, 2:31.4; 2, Bob Lee, Tacoma, 2:33.9; 3, Al Ray, Troy, 2:35.0.",
    "markup in the text": "The board set a quota of 18,125 tonnes <script>window.x=3</script> for 2026. "
    "Traders said <img src=x onerror=y> prices ${alert(5)} jumped after the quota.",
}


@pytest.mark.parametrize("name", SCRIPTS)
def test_real_text_in_any_script_passes(name):
    assert quality.problem(SCRIPTS[name]) is None, quality.measure(SCRIPTS[name])


def test_sample_and_multihop_articles_pass():
    paths = [SAMPLE]
    try:
        paths.append(data_file("multihop-rag", "articles.jsonl"))
    except pytest.skip.Exception:
        pass
    texts = [clean_text(raw.text) for raw in readable_articles(paths)]
    assert len(texts) >= 12
    assert [t[:60] for t in texts if quality.problem(t)] == []


@pytest.mark.parametrize("kind", ["ascii", "unicode", "bytes"])
def test_random_characters_fail(kind):
    rng = random.Random(11)
    for size in (200, 1000, 5000):
        text = random_bytes(rng, kind, size).decode("cp1252" if kind == "bytes" else "utf-8", "replace")
        assert quality.problem(text), (kind, size, quality.measure(text))


def test_measure_reports_its_shares():
    q = quality.measure("Red alert \ufffd\x01 in the city of Dover, 2025.")
    assert 0 < q.junk < 0.1 and q.letters > 0.7 and q.wordlike > 0.8 and q.words >= 4
    assert quality.measure("   ") == quality.Quality(0.0, 0.0, 0.0, 0)


def test_long_texts_are_sampled():
    text = "\n\n".join(SCRIPTS.values()) * 2000
    assert len(text) > 1_000_000 and quality.measure(text).letters > 0.5
