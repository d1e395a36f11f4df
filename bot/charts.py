"""Stage 3's charts as PNG images: the field's calibrated scores as bars with the raw ones
beside them, and one candidate's criteria on a radar against the field's average.

`bar_chart` and `radar_chart` draw plain values and words (the caller's, in the reader's
language) and return PNG bytes. `load` reads what the charts show (the ranking and each
candidate's per-criterion means); `ranking_charts` and `radar` describe the images in a
reader's words, to be drawn later. Drawing is CPU work (a few hundred ms): callers run it off
the event loop with `asyncio.to_thread`.

The type is Noto Sans CJK (SIL OFL 1.1) from the `noto-cjk-sans-otc` package, registered from
the package's own file: the collection's SC face sets Simplified Chinese (and English), its TC
face Traditional, so each reader sees their own glyph forms, and no system font is needed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _writable_config_dir() -> None:
    """matplotlib keeps its font list under MPLCONFIGDIR (default ~/.config/matplotlib).
    Where that can't be written (a service's read-only home) it warns and builds the list in
    a new temporary folder at every start: give it one of ours, kept between starts."""
    wanted = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "matplotlib"
    )
    place = Path(wanted)
    while not place.exists() and place != place.parent:
        place = place.parent
    if os.access(place, os.W_OK | os.X_OK):
        return
    ours = Path(tempfile.gettempdir()) / f"pacesetter-matplotlib-{os.getuid()}"
    ours.mkdir(mode=0o700, exist_ok=True)
    os.environ["MPLCONFIGDIR"] = str(ours)


_writable_config_dir()

# Imported after MPLCONFIGDIR is settled: matplotlib reads it once, at import.
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import functools  # noqa: E402
import io  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import threading  # noqa: E402
import unicodedata  # noqa: E402
from collections.abc import Callable, Iterator, Mapping, Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # no display on a server; PNG only

import noto_cjk_sans_otc  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot import ranking as ranking_  # noqa: E402
from bot.campaign import Campaign, Criterion  # noqa: E402
from bot.scores import max_total  # noqa: E402
from messages.render import Messages  # noqa: E402
from storage import reviews  # noqa: E402
from storage.db import Executor  # noqa: E402

FONT_FILE = str(noto_cjk_sans_otc.FONT_PATH)
font_manager.fontManager.addfont(FONT_FILE)  # every face of the collection, by its name
FAMILIES = {"zh-Hant": "Noto Sans CJK TC"}  # a reader's face; anyone else reads SC
DEFAULT_FAMILY = "Noto Sans CJK SC"
FALLBACK = "DejaVu Sans"  # matplotlib's own: symbols the CJK font lacks (→, ★)

WIDTH = 1080  # pixels: a phone's screen width, so nothing is scaled down to be read
DPI = 100
# Bars in one image. Telegram shows a photo at most 2,560 px on its long side: 25 bars keep
# an image about 1,700 px tall, so the names stay readable; more candidates, more images.
PER_IMAGE = 25
CALIBRATED_COLOUR = "#b22222"
RAW_COLOUR = "#a0a0a0"
AVERAGE_COLOUR = "#4a6fa5"

# matplotlib's font objects and rcParams are shared by every thread: one drawing at a time.
_DRAWING = threading.Lock()

Chart = Callable[[], bytes]  # an image described in a reader's words, drawn when called


def family(locale: str) -> str:
    return FAMILIES.get(locale, DEFAULT_FAMILY)


def bar_chart(
    title: str,
    labels: Sequence[str],
    calibrated: Sequence[float],
    raw: Sequence[float],
    *,
    calibrated_label: str,
    raw_label: str,
    axis_label: str,
    maximum: float,
    locale: str = "zh-Hans",
) -> bytes:
    """Calibrated scores as bars, best at the top, each candidate's raw score as a thinner
    grey bar under it, both with their value; the axis runs 0..maximum (the highest total),
    so images of one field compare. Equal scores keep the order given (the ranking's)."""
    if not (len(labels) == len(calibrated) == len(raw)) or not labels:
        raise ValueError("a bar chart needs one label, calibrated and raw score per bar")
    order = sorted(range(len(labels)), key=lambda i: -calibrated[i])
    count = len(order)
    with _drawing(locale):
        figure = Figure(figsize=(WIDTH / DPI, 2.2 + 0.66 * count), dpi=DPI, layout="constrained")
        axes = figure.add_subplot()
        places = range(count)
        shown = [calibrated[i] for i in order]
        beside = [raw[i] for i in order]
        axes.barh([p - 0.17 for p in places], shown, height=0.36, color=CALIBRATED_COLOUR)
        axes.barh([p + 0.21 for p in places], beside, height=0.24, color=RAW_COLOUR)
        for place, value, other in zip(places, shown, beside, strict=True):
            # Each value after its bar's end, or after 0 for a bar that runs left.
            axes.text(max(value, 0), place - 0.17, f" {value:.2f}", va="center", fontsize=13)
            at = max(other, 0)
            axes.text(at, place + 0.21, f" {other:.2f}", va="center", fontsize=10, color="#555")
        axes.set_yticks(list(places), [_wrap(labels[i]) for i in order], fontsize=13)
        axes.set_ylim(count - 0.5, -0.6)  # best first, at the top
        axes.set_xlim(*span([*shown, *beside], maximum))
        axes.set_xlabel(axis_label, fontsize=13)
        axes.xaxis.set_ticks_position("both")
        axes.tick_params(axis="x", labelsize=12, labeltop=True)
        axes.grid(axis="x", color="#e0e0e0")
        axes.set_axisbelow(True)
        axes.spines[["right", "top"]].set_visible(False)
        axes.legend(
            [calibrated_label, raw_label],
            loc="lower left",
            bbox_to_anchor=(0, 1.04),
            ncols=2,
            frameon=False,
            fontsize=13,
        )
        figure.suptitle(_wrap(title, 36), fontsize=18)
        return _png(figure)


def span(values: Sequence[float], maximum: float) -> tuple[float, float]:
    """A bar chart's axis: 0..maximum, wider where a calibrated score falls outside (a
    harsh reviewer's bias added back can lift a top candidate above the highest total),
    with room for the value written after the longest bar."""
    low, high = min(0.0, *values), max(maximum, *values)
    return low - (0.1 * (high - low) if low < 0 else 0.0), high + 0.1 * (high - low)


def radar_chart(
    title: str,
    criteria_labels: Sequence[str],
    values: Sequence[float],
    field_average: Sequence[float],
    scale: float | Sequence[float],
    *,
    value_label: str,
    average_label: str,
    locale: str = "zh-Hans",
) -> bytes:
    """One candidate's mean per criterion (a filled shape, each value written beside its
    point) against the field's average (dashed), on axes 0..scale (one scale, or one per
    criterion: each axis is then its own fraction)."""
    count = len(criteria_labels)
    scales = [float(scale)] * count if isinstance(scale, int | float) else list(scale)
    if count < 3 or not (len(values) == len(field_average) == len(scales) == count):
        raise ValueError("a radar chart needs three criteria or more, each with a value")
    angles = [2 * math.pi * i / count for i in range(count)]
    share = [v / s for v, s in zip(values, scales, strict=True)]
    average = [v / s for v, s in zip(field_average, scales, strict=True)]
    with _drawing(locale):
        figure = Figure(figsize=(WIDTH / DPI, WIDTH / DPI), dpi=DPI, layout="constrained")
        axes = figure.add_subplot(projection="polar")
        axes.set_theta_offset(math.pi / 2)  # the first criterion at the top, then clockwise
        axes.set_theta_direction(-1)
        closed = [*angles, angles[0]]
        (own,) = axes.plot(closed, [*share, share[0]], color=CALIBRATED_COLOUR, linewidth=2.5)
        axes.fill(closed, [*share, share[0]], color=CALIBRATED_COLOUR, alpha=0.22)
        (field,) = axes.plot(
            closed, [*average, average[0]], color=AVERAGE_COLOUR, linewidth=2, linestyle="--"
        )
        for angle, part, value in zip(angles, share, values, strict=True):
            axes.annotate(
                f"{value:.1f}",
                (angle, part),
                textcoords="offset points",
                xytext=(0, 9),
                ha="center",
                fontsize=14,
                color=CALIBRATED_COLOUR,
            )
        rings = [0.2, 0.4, 0.6, 0.8, 1.0]
        same = len(set(scales)) == 1
        ring_words = [f"{r * scales[0]:g}" if same else f"{r:.0%}" for r in rings]
        axes.set_ylim(0, 1.05)
        axes.set_yticks(rings, ring_words, fontsize=11, color="#777")
        axes.set_xticks(angles, [_wrap(label, 8) for label in criteria_labels], fontsize=16)
        axes.tick_params(axis="x", pad=14)
        axes.legend(
            [own, field],
            [value_label, average_label],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.06),
            ncols=2,
            frameon=False,
            fontsize=14,
        )
        axes.set_title(_wrap(title, 34), fontsize=18, pad=42)
        return _png(figure)


@contextlib.contextmanager
def _drawing(locale: str) -> Iterator[None]:
    """The lock, and the reader's face (then the fallback) as the font while drawing."""
    fonts = {
        "font.family": [family(locale), FALLBACK],
        "axes.unicode_minus": False,
        "text.parse_math": False,  # names as typed: "$…$" in one is not matplotlib's math
    }
    with _DRAWING, matplotlib.rc_context(fonts):
        yield


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)  # fixed size: no tight bounding box
    return buffer.getvalue()


def _wrap(text: str, width: int = 13, lines: int = 2) -> str:
    """At most `lines` lines of `width` Chinese characters (a Latin letter counts about half),
    broken between Chinese characters or Latin words (inside a word only when it is longer
    than a line); the last line clipped with … when the text is longer."""
    pieces = []  # each Chinese character, each Latin word and each space, with its width
    for char in " ".join(text.split()):
        wide = unicodedata.east_asian_width(char) in "WF"
        if not wide and char != " " and pieces and pieces[-1][2]:
            word, size, _ = pieces.pop()
            pieces.append((word + char, size + 0.55, True))
        else:
            pieces.append((char, 1.0 if wide else 0.55, not wide and char != " "))
    rows, row, used = [], "", 0.0
    for piece, size, _ in _split_long(pieces, width):
        if used + size > width and row.strip():
            if len(rows) == lines - 1:  # the last line: … where the rest would go
                room = used - (0.55 if row.endswith(" ") else 0) + 1 <= width
                rows.append((row.rstrip() if room else row.rstrip()[:-1]) + "…")
                return "\n".join(rows)
            rows.append(row.rstrip())
            row, used = "", 0.0
        if row or piece != " ":
            row, used = row + piece, used + size
    return "\n".join([*rows, row])


def _split_long(pieces: list[tuple[str, float, bool]], width: int):
    """A Latin word longer than a line, as its letters."""
    for piece in pieces:
        if piece[1] > width:
            yield from ((char, 0.55, True) for char in piece[0])
        else:
            yield piece


# --- what the charts show ---------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """The ranking, and per-criterion means of the candidates any review counts for."""

    ranking: ranking_.Ranking
    means: Mapping[int, Mapping[str, float]]  # project id → criterion key → mean
    average: Mapping[str, float]  # criterion key → the mean of those candidates' means

    def scored(self) -> list[ranking_.Row]:
        """Candidates with a calibrated score, best first (equal ones in the ranking's order)."""
        rows = [r for r in self.ranking.rows if r.calibrated is not None]
        return sorted(rows, key=lambda r: -r.calibrated)


def criterion_means(
    criteria: Sequence[Criterion], counted: Sequence[tuple[reviews.Review, Mapping[str, int]]]
) -> dict[int, dict[str, float]]:
    """Each candidate's mean per criterion over its counted reviews."""
    scores: dict[int, dict[str, list[int]]] = {}
    for review, given in counted:
        found = scores.setdefault(review.project_id, {c.key: [] for c in criteria})
        for criterion in criteria:
            if criterion.key in given:
                found[criterion.key].append(given[criterion.key])
    return {
        project: {key: statistics.fmean(values) for key, values in by_key.items() if values}
        for project, by_key in scores.items()
    }


async def load(db: Executor, campaign: Campaign) -> Field:
    found = await ranking_.load(db, campaign)
    means = {row.project_id: row.means for row in found.rows if row.means}
    if any(row.reviews and row.project_id not in means for row in found.rows):
        means = criterion_means(campaign.criteria, await reviews.submitted_reviews(db))
    counted = {r.project_id for r in found.rows if r.reviews}
    means = {project: m for project, m in means.items() if project in counted}
    average = {
        c.key: statistics.fmean(m[c.key] for m in means.values() if c.key in m)
        for c in campaign.criteria
        if any(c.key in m for m in means.values())
    }
    return Field(found, means, average)


def ranking_charts(
    field: Field, msgs: Messages, locale: str, campaign: Campaign, *, per_image: int = 0
) -> list[Chart]:
    """The bar chart of every scored candidate, `per_image` bars an image (PER_IMAGE unless
    given); none when no candidate has a score."""
    rows, per_image = field.scored(), per_image or PER_IMAGE
    label = functools.partial(msgs.label, locale)
    title = label("chart_ranking_title", stage=campaign.stage("assess").title.get(locale))
    charts: list[Chart] = []
    for start in range(0, len(rows), per_image):
        part = rows[start : start + per_image]
        if len(rows) > per_image:
            first, last = start + 1, start + len(part)
            shown = label("chart_part", title=title, first=first, last=last, count=len(rows))
        else:
            shown = title
        charts.append(
            functools.partial(
                bar_chart,
                shown,
                [label("chart_bar", code=r.code, name=r.project) for r in part],
                [r.calibrated for r in part],
                [r.raw for r in part],
                calibrated_label=label("chart_calibrated"),
                raw_label=label("chart_raw"),
                axis_label=label("chart_axis", max=f"{max_total(campaign.criteria):g}"),
                maximum=max_total(campaign.criteria),
                locale=locale,
            )
        )
    return charts


def radar(
    field: Field, row: ranking_.Row, msgs: Messages, locale: str, campaign: Campaign
) -> Chart | None:
    """A candidate's radar; None when no review of it counts."""
    means = field.means.get(row.project_id)
    criteria = [c for c in campaign.criteria if c.key in field.average]
    if not means or len(criteria) < 3:
        return None
    label = functools.partial(msgs.label, locale)
    return functools.partial(
        radar_chart,
        label("chart_radar_title", code=row.code, name=row.project, unit=row.unit),
        [c.title.get(locale) for c in criteria],
        [means.get(c.key, 0.0) for c in criteria],
        [field.average[c.key] for c in criteria],
        [c.scale for c in criteria],
        value_label=label("chart_candidate", count=row.reviews),
        average_label=label("chart_average"),
        locale=locale,
    )


async def write_files(
    db: Executor, campaign: Campaign, msgs: Messages, locale: str, out_dir: Path
) -> list[Path]:
    """`ranking.png` (the whole field in one image: a file is not shrunk as a photo in the
    chat is) and `radar-CODE.png` for each candidate with counted reviews, in `out_dir`; the
    files written, none when no review counts yet."""
    field = await load(db, campaign)
    scored = field.scored()
    if not scored:
        return []
    [whole] = ranking_charts(field, msgs, locale, campaign, per_image=len(scored))
    drawings = [("ranking.png", whole)]
    for row in scored:
        drawing = radar(field, row, msgs, locale, campaign)
        if drawing is not None:
            drawings.append((f"radar-{re.sub(r'[^A-Za-z0-9_.-]', '_', row.code)}.png", drawing))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in drawings:
        (out_dir / name).write_bytes(await asyncio.to_thread(draw))
        written.append(out_dir / name)
    return written
