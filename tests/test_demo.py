"""`pacesetter demo`: the whole walk-through in each language, as a fresh machine runs it."""

from __future__ import annotations

import atexit
import functools
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import IO

import docx
import openpyxl
import pytest

from bot.campaign_load import DEFAULT_CAMPAIGN_PATH, load_campaign
from bot.demo import CASTS, default_folder
from bot.demo import label as _label

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Chinese the English bot teaches on purpose, as things to type: amounts and the import's headers.
INPUT_VOCABULARY = re.compile(r"万|元|群ID|单位代码|单位名称|项目代码|项目名称")


LANGUAGES = ("zh-Hans", "zh-Hant", "en")
CAMPAIGN = load_campaign(DEFAULT_CAMPAIGN_PATH)
# The export's sheets as the demo's bot writes them (another may join them: not required here).
SHEETS = ("units", "applications", "reports", "highlights", "scores", "ranking", "selection")


@functools.cache
def _folders() -> Path:
    """Where each language's demo leaves its outputs (--out), removed when the tests end."""
    root = Path(tempfile.mkdtemp(prefix="pacesetter-demo-test-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return root


def outputs(language: str) -> Path:
    return _folders() / language


@functools.cache
def _demos() -> dict[str, tuple[subprocess.Popen, IO[str], IO[str], float]]:
    """All three languages at once: each walk-through mostly waits on Telegram's pace, so side
    by side they take the time of one. Output goes to files: a full pipe would stall a demo."""
    started = {}
    for language in LANGUAGES:
        # Closed by _reap, once read.
        out, err = (tempfile.TemporaryFile("w+", encoding="utf-8") for _ in range(2))  # noqa: SIM115
        folder = ["--out", str(outputs(language))]
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo", "--lang", language, *folder],
            stdout=out,
            stderr=err,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        started[language] = (process, out, err, time.monotonic())
    atexit.register(_reap, started)
    return started


def _reap(started: dict[str, tuple[subprocess.Popen, IO[str], IO[str], float]]) -> None:
    """A run that read only some languages (-k) leaves no process behind."""
    for process, out, err, _ in started.values():
        if process.poll() is None:
            process.kill()
            process.wait()
        out.close()
        err.close()


def _read(stream: IO[str]) -> str:
    stream.seek(0)
    return stream.read()


@functools.cache  # each language runs once however many tests read its transcript
def run_demo(language: str) -> tuple[str, float]:
    process, out, err, started = _demos()[language]
    try:
        process.wait(timeout=90)  # a hung demo, not a slow one: it takes about 30 s
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    elapsed = time.monotonic() - started
    stdout, stderr = _read(out), _read(err)
    assert process.returncode == 0, stdout[-2000:] + stderr[-2000:]
    return stdout, elapsed


def chapter_of(transcript: str, cast, key: str) -> str:
    """The lines under a chapter's heading, up to the next heading."""
    return transcript.split(f"== {cast.chapter(key)} ==")[1].split("\n== ")[0]


def bot_lines(transcript: str) -> list[str]:
    """What the bot said: its messages' first lines, their continuations and their buttons."""
    said, bots = [], False
    for line in transcript.splitlines():
        # A new speaker, a heading or a summary; blank lines and indented ones continue.
        if line and (not line.startswith(" ") or line.startswith("   …")):
            bots = line.startswith("bot ")
        if bots:
            said.append(line)
    return said


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_demo_runs_on_a_fresh_machine_in_its_language(language):
    out, _ = run_demo(language)  # how long it takes is for the benchmarks, not a test
    assert "!!" not in out  # the demo marks a refused request or a protocol problem with !!
    assert "-- demo finished in" in out
    cast = CASTS[language]
    for heading in ("import", "apply", "decide"):
        assert f"== {cast.chapter(heading)} ==" in out
    people = cast.people
    assert f"{people['admin']} → bot: /import" in out
    assert f"{people['secretary']} adds bot to {cast.group}" in out
    said = "\n".join(bot_lines(out))
    for _, unit, _ in cast.units[:2]:
        assert unit in said
    # The unit's comment reaches the lead, and the last overview waits on the unnominated one.
    assert f"bot → {people['lead4']}" in said and cast.says["comment"] in said
    overview = out.split(f"{people['admin']} → bot: /applications")[-1].split("== ")[0]
    assert cast.project(0, 2)["name"] in overview
    # Stage 2: an album reported, a highlight picked, a coaching comment, progress by role.
    for heading in ("cultivate", "highlight", "progress"):
        assert f"== {cast.chapter(heading)} ==" in out
    stage_two = out.split(f"== {cast.chapter('cultivate')} ==")[1]
    assert f"bot → {cast.group}: [photo]" in stage_two and cast.says["album"] in stage_two
    assert f"bot → {people['lead']}: 💬" in stage_two and cast.says["coach"] in stage_two
    for person in ("lead", "secretary", "admin"):
        assert f"{people[person]} → bot: /progress" in stage_two
    assert "!!" not in stage_two
    # Stage 3: the final items, the assignment, scores by buttons and by /score, a recusal,
    # a change, the quick vote, the admins' progress.
    stage_three = out.split(f"== {cast.chapter('final')} ==")[1]
    for heading in ("reviewers", "assign", "score", "recuse", "typed", "change", "vote"):
        assert f"== {cast.chapter(heading)} ==" in stage_three
    assert cast.says["summary_file"] in stage_three and cast.says["results"] in stage_three
    admin, wu, qian = people["admin"], people["reviewer1"], people["reviewer3"]
    assert f"{people['secretary']} → bot: /score {cast.project(1, 1)['code']}" in stage_three
    assert f"bot → {admin}: 🙅 {qian}" in stage_three  # the admins hear of the recusal
    changed = stage_three.split(f"== {cast.chapter('change')} ==")[1].split("== ")[0]
    assert f"{wu} taps [ {_label(language, 'review_submit_change')} ]" in changed
    vote = stage_three.split(f"== {cast.chapter('vote')} ==")[1].split("== ")[0]
    assert f"{people['reviewer2']} taps [ {_label(language, 'vote_recommend')} ]" in vote
    closed = vote.rsplit("bot ✎", 1)[1]  # the card's last edit: closed, counts, no names
    assert "🔒" in closed and "👍" in closed and wu not in closed
    progress = stage_three.split(f"== {cast.chapter('reviewed')} ==")[1].split("== ")[0]
    assert f"{admin} → bot: /review" in progress and "📊" in progress
    # The ranking with a flagged candidate (two reviews count), the charts saved to files it
    # names; the pacesetters selected, each lead told once, never a score.
    ranked = stage_three.split(f"== {cast.chapter('ranking')} ==")[1].split("== ")[0]
    assert f"{admin} → bot: /ranking" in ranked and "⚠" in ranked and "[photo]" in ranked
    saved = [line.split("📁 ", 1)[1] for line in ranked.splitlines() if "📁 " in line]
    assert [Path(p).name for p in saved][:1] == ["ranking.png"] and len(saved) == 3
    assert all(Path(p).stat().st_size > 10_000 for p in saved)
    chosen = chapter_of(stage_three, cast, "select")
    assert f"{admin} → bot: /select {cast.project(0, 1)['code']}" in chosen
    for lead in ("lead", "lead4"):
        told = [m for m in bot_lines(chosen) if m.startswith(f"bot → {people[lead]}:")]
        assert len(told) == 1
    assert not re.search(r"\d+\.\d\d", "\n".join(bot_lines(chosen.split(f"{admin} taps")[-1])))


def test_the_chinese_demo_names_its_organisation_in_chinese():
    said = "\n".join(bot_lines(run_demo("zh-Hans")[0]))
    zh = CASTS["zh-Hans"]
    for number, (_, unit, _) in enumerate(zh.units[:2]):
        assert unit in said and zh.project(number, 1)["name"] in said
    assert "First Harbour" not in said and "Road & Bridge" not in said
    assert " project 0" not in said


def test_the_english_demo_says_nothing_in_chinese():
    said = bot_lines(run_demo("en")[0])
    assert [line for line in said if CJK.search(INPUT_VOCABULARY.sub("", line))] == []
    assert any("First Harbour Engineering Co." in line for line in said)


def test_the_traditional_demo_names_its_organisation_and_speaks_in_traditional():
    said = bot_lines(run_demo("zh-Hant")[0])
    zh, hant = CASTS["zh-Hans"], CASTS["zh-Hant"]
    text = "\n".join(said)
    for number, (_, unit, _) in enumerate(hant.units[:2]):
        assert unit in text and hant.project(number, 1)["name"] in text
    assert "申報遴選" in text and "基層黨建標桿創建活動" in text  # the campaign's words, converted
    # The characters the Simplified cast writes differently: none in what the bot says (but
    # the import's Simplified headers, shown as things one may type).
    simplified = set("".join(_texts(zh))) - set("".join(_texts(hant)))
    assert {"党", "单", "项", "标"} <= simplified
    mixed = [line for line in said if simplified & set(INPUT_VOCABULARY.sub("", line))]
    assert mixed == []


def _texts(cast) -> list[str]:
    names = [name for _, unit, projects in cast.units for name in (unit, *projects)]
    return [*names, *cast.people.values(), cast.group, *cast.says.values(), *cast.chapters.values()]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_demo_plays_the_consolidation_to_its_closing_report(language):
    out, _ = run_demo(language)
    cast, locale = CASTS[language], language
    people, says = cast.people, cast.says
    admin, lead, other = people["admin"], people["lead"], people["lead4"]
    assert "!!" not in out.split(f"== {cast.chapter('consolidate')} ==")[1]
    # The stage opens (each lead told what is owed); a Word file and a link, typed text and a
    # video file, each confirmed.
    handing = chapter_of(out, cast, "consolidate")
    for person in (lead, other):
        assert f"bot → {person}: 📣" in handing
        assert f"{person} → bot: /deliverables" in handing
    assert f"{lead} → bot: [document {says['writeup_file']}]" in handing
    assert f"{lead} → bot: {says['video_link']}" in handing
    assert f"{other} → bot: {says['writeup']}" in handing
    assert f"{other} → bot: [document {says['video_file']}]" in handing
    assert handing.count(f"taps [ {_label(locale, 'final_confirm')} ]") == 4
    said = "\n".join(bot_lines(handing))
    assert all(item.title.get(locale) in said for item in CAMPAIGN.deliverables)
    # The booklet built: its two files to the admin, each lead told a chapter waits.
    built = chapter_of(out, cast, "booklet")
    assert f"{admin} → bot: /booklet" in built
    files = re.findall(rf"bot → {admin}: \[document ([^\]]+)\]", built)
    assert [Path(name).suffix for name in files] == [".docx", ".zip"]
    opened = f"[ {_label(locale, 'deliverables_open')} ]"
    for person in (lead, other):
        told = [m for m in _messages(built) if m.startswith(f"bot → {person}:")]
        assert len(told) == 1 and opened in told[0]
    # One lead opens the draft and sends corrections; the admins have them.
    corrected = chapter_of(out, cast, "corrections")
    assert f"{other} taps [ {_label(locale, 'deliverables_chapter')} ]" in corrected
    assert f"bot → {other}: [document {files[0]}]" in corrected
    assert f"{other} → bot: {says['corrections']}" in corrected
    [heard] = [m for m in _messages(corrected) if m.startswith(f"bot → {admin}:")]
    assert says["corrections"] in heard
    # Built again: both leads approve; each pacesetter complete, told to its unit and admin.
    approved = chapter_of(out, cast, "rebuild")
    for person in (lead, other):
        assert f"{person} taps [ {_label(locale, 'deliverables_approve')} ]" in approved
    for person in (admin, people["secretary"], people["secretary2"]):
        complete = [m for m in _messages(approved) if m.startswith(f"bot → {person}: ✅")]
        assert complete and all(opened in m for m in complete)
    assert len([m for m in _messages(approved) if m.startswith(f"bot → {admin}: ✅")]) == 2
    # The export of every unit, saved.
    exported = chapter_of(out, cast, "export")
    assert f"{admin} taps [ {_label(locale, 'export_everything')} ]" in exported
    [workbook] = re.findall(rf"bot → {admin}: \[document ([^\]]+\.xlsx)\]", exported)
    assert f"📁 {outputs(language).resolve() / workbook}" in exported
    # The deadline passes: the admin alone hears it, both pacesetters complete, nothing owed.
    closing = _messages(chapter_of(out, cast, "closing"))
    assert len(closing) == 1 and closing[0].startswith(f"bot → {admin}: 🔔")
    assert all(cast.project(unit, 1)["name"] in closing[0] for unit in (0, 1))
    assert not any(item.title.get(locale) in closing[0] for item in CAMPAIGN.deliverables[:2])
    assert out.rstrip().endswith(
        f"-- the booklet, the export and the charts are in {outputs(language).resolve()}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_demo_leaves_the_booklet_the_export_and_the_charts_in_its_folder(language):
    run_demo(language)
    folder, cast = outputs(language), CASTS[language]
    names = [cast.project(unit, 1)["name"] for unit in (0, 1)]
    [word], [page], [book] = (sorted(folder.glob(f"*.{kind}")) for kind in ("docx", "html", "xlsx"))
    # The Word file: a chapter per pacesetter, in the units' order, with what was handed in.
    document = docx.Document(str(word))
    chapters = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert len(chapters) == 2 and all(n in c for n, c in zip(names, chapters, strict=True))
    texts = [p.text for p in document.paragraphs]
    assert cast.says["writeup"] in texts and cast.says["video_link"] in texts
    # The web page: the same chapters, and every picture it shows is beside it.
    shown = _Page()
    shown.feed(page.read_text(encoding="utf-8"))
    assert shown.pictures and all((folder / src).is_file() for src in shown.pictures)
    assert all(name in shown.text for name in names) and cast.says["writeup"] in shown.text
    # The export: its sheets, and the two pacesetters on the selection's.
    workbook = openpyxl.load_workbook(book, read_only=True)
    titles = [_label(language, f"xl_sheet_{sheet}") for sheet in SHEETS]
    assert [name for name in workbook.sheetnames if name in titles] == titles
    cells = {cell for row in workbook[titles[-1]].iter_rows(values_only=True) for cell in row}
    assert {cast.project(0, 1)["code"], cast.project(1, 1)["code"]} <= cells
    workbook.close()
    # The ranking's charts.
    charts = sorted((folder / "charts").iterdir())
    assert [chart.name for chart in charts] == [
        "radar-FHB-1-P01.png",
        "radar-RBR-2-P01.png",
        "ranking.png",
    ]
    assert all(chart.read_bytes().startswith(b"\x89PNG\r\n") for chart in charts)


def _messages(transcript: str) -> list[str]:
    """The transcript's entries, each a speaker's line with its continuations and buttons."""
    return re.split(r"\n(?=\S)", transcript.strip())


class _Page(HTMLParser):
    """A page's pictures (their src) and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.pictures: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.pictures.append(dict(attrs)["src"] or "")

    def handle_data(self, data: str) -> None:
        self.text += data


def test_without_out_the_outputs_go_to_a_new_folder_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    day = date(2026, 12, 6)
    first = default_folder("zh-Hant", day)
    assert first == tmp_path / "pacesetter-demo-zh-Hant-2026-12-06" and not first.exists()
    first.mkdir()  # a run earlier that day: never written into again
    assert default_folder("zh-Hant", day) == tmp_path / "pacesetter-demo-zh-Hant-2026-12-06-2"
