"""`pacesetter demo`: the whole walk-through in each language, as a fresh machine runs it."""

from __future__ import annotations

import atexit
import functools
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import pytest

from bot.demo import CASTS
from bot.demo import label as _label

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Chinese the English bot teaches on purpose, as things to type: amounts and the import's headers.
INPUT_VOCABULARY = re.compile(r"万|元|群ID|单位代码|单位名称|项目代码|项目名称")


LANGUAGES = ("zh-Hans", "zh-Hant", "en")


@functools.cache
def _demos() -> dict[str, tuple[subprocess.Popen, IO[str], IO[str], float]]:
    """All three languages at once: each walk-through mostly waits on Telegram's pace, so side
    by side they take the time of one. Output goes to files: a full pipe would stall a demo."""
    started = {}
    for language in LANGUAGES:
        # Closed by _reap, once read.
        out, err = (tempfile.TemporaryFile("w+", encoding="utf-8") for _ in range(2))  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo", "--lang", language],
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
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    elapsed = time.monotonic() - started
    stdout, stderr = _read(out), _read(err)
    assert process.returncode == 0, stdout[-2000:] + stderr[-2000:]
    return stdout, elapsed


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
    chosen = stage_three.split(f"== {cast.chapter('select')} ==")[1]
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
