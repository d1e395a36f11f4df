"""📎 Files: whoever reads an application gets its photos and documents, in order."""

from __future__ import annotations

from bot.applications import file_batches
from bot.campaign_load import load_campaign
from handlers.application_files import BUTTONS
from storage import applications, orgs
from storage.applications import Answer, Part
from tests.conftest import World
from tests.test_apply import lead_of, write_all

CAMPAIGN = load_campaign()
FILES = next(s for s in CAMPAIGN.sections if s.kind == "files")


def _parts(kinds: str) -> tuple[Part, ...]:
    names = {"p": "photo", "d": "document", "v": "video"}
    return tuple(Part(1, n, names[k], "", f"f{n}") for n, k in enumerate(kinds))


def test_files_go_in_albums_of_ten_and_documents_apart_in_the_order_sent():
    answers = {FILES.key: Answer(FILES.key, "done", None, _parts("p" * 23 + "dd" + "pv" + "d"))}
    batches = file_batches(CAMPAIGN.sections, answers)
    assert [len(parts) for _, parts in batches] == [10, 10, 3, 2, 2, 1]
    assert [parts[0].kind for _, parts in batches] == [
        "photo",
        "photo",
        "photo",
        "document",
        "photo",
        "document",
    ]
    assert [p.file_id for _, parts in batches for p in parts] == [f"f{n}" for n in range(28)]
    assert file_batches(CAMPAIGN.sections, {}) == []


async def _submitted_with_files(world: World):
    lena = await lead_of(world)
    await write_all(lena)  # on to the attachments
    await lena.send_media_group([("photo", None), ("photo", None)], caption="Our <volunteers>")
    await lena.send_document(b"%PDF-1.4", "report.pdf", "application/pdf", caption="Report")
    await lena.tap("✓ Done")
    await lena.tap("✅ Submit")
    project = await orgs.project_by_code(world.db, "P-U1-01")
    application = await applications.of_project(world.db, project.id)
    answers = await applications.answers(world.db, application.id)
    return lena, application, [part.file_id for part in answers[FILES.key].files]


async def test_the_secretary_and_the_organiser_get_the_files_with_their_section(world: World):
    await world.import_orgs([("U1", 20)])
    sam = await world.join("Sam", "secretary", "U1")
    _, _, stored = await _submitted_with_files(world)
    await sam.send("/nominations")
    await sam.tap("Project U1-01 · submitted")
    before = len(sam.replies())
    await sam.tap("📎 Files (3)")
    sent = sam.replies()[before:]
    assert [m.kind for m in sent] == ["photo", "photo", "document"]
    assert [m.file_id for m in sent] == stored
    assert sent[0].media_group_id and sent[0].media_group_id == sent[1].media_group_id
    assert sent[0].text == "📎 Project U1-01 · Supporting materials\nOur <volunteers>"
    assert sent[2].text == "📎 Project U1-01 · Supporting materials\nReport"
    await sam.tap("⭐ Nominate")
    await world.admin.send("/applications")
    await world.admin.tap("Project U1-01")
    before = len(world.admin.replies())
    await world.admin.tap("📎 Files (3)")
    assert [m.file_id for m in world.admin.replies()[before:]] == stored


async def test_files_of_a_draft_or_another_unit_are_not_sent(world: World):
    await world.import_orgs([("U1", 20), ("U2", 20)])
    other = await world.join("Olga", "secretary", "U2")
    sam = await world.join("Sam", "secretary", "U1")
    lena = await lead_of(world)
    await write_all(lena)
    await lena.send_photo()
    project = await orgs.project_by_code(world.db, "P-U1-01")
    draft = await applications.of_project(world.db, project.id)
    forged = BUTTONS.data("send", draft.id)
    # A draft is its lead's alone: the unit's own secretary can't have its files either.
    for person in (sam, other):
        await person.send("/help")
        answer = await world.answer_to(person, person.last_reply, forged)
        assert answer == "You are not allowed to do that."
    before = len(lena.replies())
    await world.answer_to(lena, lena.last_reply, forged)  # the lead may, at any time
    assert [m.kind for m in lena.replies()[before:]] == ["photo"]
    await lena.tap("✓ Done")
    await lena.tap("✅ Submit")
    answer = await world.answer_to(other, other.last_reply, forged)
    assert answer == "You are not allowed to do that."
    stale = BUTTONS.data("send", 999_999)
    assert "out of date" in (await world.answer_to(sam, sam.last_reply, stale))
