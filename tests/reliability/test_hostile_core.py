"""Hostile input to the core, in process: Hypothesis drives four registered people (focal
points of two agencies, a coordinator, an admin) and a stranger with random and malformed
events: huge texts, zero-width and right-to-left characters, SQL-looking text, odd digits,
commands with odd arguments, forged callback data (``d<ver>:…``, ``q:<item>:<status>``,
``z:<item>``), the buttons of another person's dialogue, reminders answered by typing,
attachments, edits, group chats.

After every event:
- no internal error: the core never apologises (an apology means an exception inside);
- no half-written records: every progress update has its audit entry and vice versa,
  dialogue versions only increase, a dialogue only holds the person's own items;
- nothing across roles or agencies: updates only by the agency's own people on items
  assigned to it and offered for reporting; broadcasts and their dialogue only for admins;
  no registration without an invitation; snoozes only on one's own items.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlmodel import Session, col, select

from bot.core.commands import COMMANDS
from bot.core.events import Attachment, ButtonPress, Inbound
from bot.core.reminders import REMINDER_STEP, quick_choices
from bot.i18n import translator
from storage import dialogues
from storage import progress as progress_store
from storage.db import session_scope
from storage.models import (
    AuditLog,
    Broadcast,
    ChannelIdentity,
    DialogueState,
    Invite,
    Person,
    PlanItem,
    ProgressUpdate,
    Reminder,
    Status,
)
from tests.reliability.world import CHANNEL, CHATS, MEMBERS, World, build_template, offered

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
RIGHT_TO_LEFT = ["\u202e", "\u202d", "\u200f", "\u061c", "\u2067", "مرحبا", "שלום"]
SQL = [
    "'; DROP TABLE person; --",
    "1 OR 1=1",
    '" OR ""="',
    "%",
    "_%",
    "\\",
    "' UNION SELECT token_hash FROM invite --",
    "Robert'); DROP TABLE progress_update;--",
]
DIGITS = ["1", "2", "3", "4", "5", "0", "-1", "99", "²", "١", "۳", "１", "1.", "2)", " 3 ", "+1"]
HUGE_NUMBERS = ["9" * 30, "9" * 5000]
WORDS = [
    "hoàn thành",
    "hoan thanh",
    "Bỏ qua",
    "bo qua",
    "skip",
    "Gặp vướng mắc",
    "đang thực hiện",
    "SNV",
    "STP",
    "huyen",
    "15/11/2021 08:00",
    "01/01/0001 00:00",
    "31/12/9999 23:59",
    "29/02/2021 08:00",
    "32/13/2021 25:61",
]
PIECES = ZERO_WIDTH + RIGHT_TO_LEFT + SQL + DIGITS + HUGE_NUMBERS + WORDS

texts = st.one_of(
    st.text(max_size=80),
    st.sampled_from(PIECES),
    st.sampled_from(DIGITS + HUGE_NUMBERS),
    st.lists(st.sampled_from([*PIECES, "a", " ", "\n"]), max_size=6).map("".join),
    st.builds(
        lambda piece, n: piece * n,
        st.sampled_from(["x", "á", "\u200b", "9", " ", "\n", "đ"]),
        st.integers(1000, 20000),
    ),
)
COMMAND_NAMES = sorted(
    {name for c in COMMANDS for name in (c.name, *c.aliases)}
    | {"start", "broadcast", "unknown", "STATUS", "Report", "rep\u200bort"}
)
commands = st.builds(
    lambda name, suffix, args: f"/{name}{suffix}" + (f" {args}" if args else ""),
    st.sampled_from(COMMAND_NAMES),
    st.sampled_from(["", "@baocao_sandbox_bot", "@other_bot", "@"]),
    st.one_of(st.just(""), st.sampled_from(["xlsx", "docx", "csv", "en", "vi", "fr"]), texts),
)
item_ids = st.one_of(
    st.integers(1, 30).map(str),
    st.sampled_from(["0", "-1", "²", "١", "1e3", " 1", "01", ""]),
    st.sampled_from(HUGE_NUMBERS),
)
statuses = st.sampled_from([*(s.value for s in Status), "", "DONE", "x", "done "])
payloads = st.one_of(
    item_ids.map(lambda i: f"i:{i}"),
    statuses.map(lambda s: f"s:{s}"),
    st.sampled_from(
        [
            "skip",
            "all",
            "group:huyen",
            "group:nope",
            "agency",
            "agency:SNV",
            "role:focal",
            "role:admin",
            "role:x",
            "now",
            "later",
            "yes",
            "cancel",
            "",
        ]
    ),
    st.text(max_size=20),
)
versions = st.one_of(st.integers(0, 12).map(str), st.sampled_from(["", "-1", "x", "²", "9" * 30]))
forged_data = st.one_of(
    st.builds(lambda v, p: f"d{v}:{p}", versions, payloads),
    st.builds(lambda i, s: f"q:{i}:{s}", item_ids, statuses),
    item_ids.map(lambda i: f"z:{i}"),
    st.text(max_size=64),
)
chats = st.sampled_from(CHATS)
# Items of the sample plan: 1-2 reports of most agencies, 3-4 events (Action Month, Women's
# day), 12 a task of SNV, 20 of STP, 5 of SLDTBXH, 29 of the districts (nobody's here).
SAMPLE_ITEMS = [1, 2, 3, 4, 5, 12, 20, 29]
ADMINS = {m.chat for m in MEMBERS if m.role == "admin"}
REPORTABLE = ("report", "task")


class HostileChats(RuleBasedStateMachine):
    """Random conversations against a fresh world; invariants checked after every step."""

    template: Path

    def __init__(self) -> None:
        super().__init__()
        self.directory = TemporaryDirectory()
        self.world = World.open(self.template, Path(self.directory.name))
        self.offered: dict[str, list[str]] = {chat: [] for chat in CHATS}
        self.versions: dict[str, int] = {}
        self.message_id = 100

    def teardown(self) -> None:
        self.world.close()
        self.directory.cleanup()

    def _event(self, chat: str, **fields: object) -> None:
        event = Inbound(CHANNEL, chat, sender_name="Người dùng", **fields)  # type: ignore[arg-type]
        actions = self.world.handle(event)
        new = offered(actions)
        if new:
            self.offered[chat] = (self.offered[chat] + new)[-30:]
        assert not self.world.apologies, _apology_report(self.world)

    def _press(self, chat: str, data: str) -> None:
        self.message_id += 1
        button = ButtonPress(data, str(self.message_id), f"cb{self.message_id}")
        self._event(chat, button=button)

    @initialize(chat=chats)
    def open_a_dialogue(self, chat: str) -> None:
        """Most runs start inside a dialogue, where forged answers matter most."""
        self._event(chat, text="/broadcast" if chat in ADMINS else "/report")

    @rule(chat=chats, text=texts)
    def say(self, chat: str, text: str) -> None:
        self._event(chat, text=text)

    @rule(chat=chats, text=commands)
    def command(self, chat: str, text: str) -> None:
        self._event(chat, text=text)

    @rule(chat=chats, pick=st.integers(0, 29))
    def press_an_offered_button(self, chat: str, pick: int) -> None:
        if self.offered[chat]:
            self._press(chat, self.offered[chat][pick % len(self.offered[chat])])

    @rule(chat=chats, other=chats, pick=st.integers(0, 29))
    def press_another_persons_button(self, chat: str, other: str, pick: int) -> None:
        if self.offered[other]:
            self._press(chat, self.offered[other][pick % len(self.offered[other])])

    @rule(chat=chats, data=forged_data)
    def press_forged_data(self, chat: str, data: str) -> None:
        self._press(chat, data)

    @rule(
        chat=chats,
        item=st.sampled_from(SAMPLE_ITEMS),
        status=st.sampled_from([s.value for s in Status]),
        later=st.booleans(),
    )
    def press_a_reminder_button_for_any_item(
        self, chat: str, item: int, status: str, later: bool
    ) -> None:
        """Reminder buttons name the item: forge them for every item, one's own or not."""
        self._press(chat, f"z:{item}" if later else f"q:{item}:{status}")

    @rule(chat=chats, item=st.sampled_from(SAMPLE_ITEMS))
    def a_reminder_arrives(self, chat: str, item: int) -> None:
        """What the tick does after sending a reminder: its buttons, and its choices offered
        to typed answers (unless a dialogue is under way). Any item: the handlers check."""
        choices = quick_choices(translator("vi"), item)
        with session_scope(self.world.engine) as session:
            dialogues.offer_if_idle(
                session,
                channel=CHANNEL,
                chat_id=chat,
                step=REMINDER_STEP,
                data={"choices": [[c.label, c.data] for c in choices]},
            )
        self.offered[chat] = (self.offered[chat] + [c.data for c in choices])[-30:]

    @rule(chat=chats, payload=payloads)
    def answer_the_current_question_with_forged_data(self, chat: str, payload: str) -> None:
        with Session(self.world.engine) as session:
            row = session.get(DialogueState, (CHANNEL, chat))
        self._press(chat, f"d{row.version if row else 0}:{payload}")

    @rule(
        chat=chats,
        kind=st.sampled_from(["document", "photo"]),
        name=st.one_of(st.none(), texts),
        caption=st.one_of(st.none(), texts),
    )
    def send_a_file(self, chat: str, kind: str, name: str | None, caption: str | None) -> None:
        attachment = Attachment(kind, f"file-{self.message_id}", name)
        self._event(chat, text=caption, attachment=attachment)

    @rule(
        chat=chats,
        text=st.one_of(texts, commands),
        private=st.booleans(),
        edited=st.booleans(),
        unsupported=st.sampled_from([None, "sticker", "voice", "other"]),
    )
    def odd_message(
        self, chat: str, text: str, private: bool, edited: bool, unsupported: str | None
    ) -> None:
        self._event(chat, text=text, private=private, edited=edited, unsupported=unsupported)

    @invariant()
    def records_are_whole_and_within_roles(self) -> None:
        with Session(self.world.engine) as session:
            _check_updates(session)
            _check_dialogues(session, self.versions)
            _check_broadcasts(session)
            _check_registrations(session)
            _check_snoozes(session)


def _apology_report(world: World) -> str:
    event, trace = world.apologies[0]
    return f"the core apologised (an internal error) for {event!r}:\n{trace}"


def _check_updates(session: Session) -> None:
    updates = session.exec(select(ProgressUpdate)).all()
    audits = session.exec(
        select(AuditLog.detail).where(AuditLog.action == "report", AuditLog.outcome == "recorded")
    ).all()
    details = Counter(audits)
    assert len(audits) == len(updates), "an update without its audit entry, or the reverse"
    for update in updates:
        assert details[f"item {update.item_id} update {update.id}"] == 1, update
        person = session.get(Person, update.person_id)
        item = session.get(PlanItem, update.item_id)
        assert person is not None and item is not None
        assert person.agency_id == update.agency_id, f"update for another agency: {update}"
        assert progress_store.item_assigned(
            session, item_id=item.id or 0, agency_id=person.agency_id
        ), f"update on an item not assigned to the agency: {update}"
        assert item.kind in REPORTABLE, f"update on a {item.kind} item: {update}"


def _check_dialogues(session: Session, versions: dict[str, int]) -> None:
    for row in session.exec(select(DialogueState)).all():
        assert row.version >= versions.get(row.chat_id, 0), f"dialogue version went back: {row}"
        versions[row.chat_id] = row.version
        if row.step.startswith("bc:"):
            assert row.chat_id in ADMINS, f"a broadcast dialogue for a non-admin: {row}"
        item_id = json.loads(row.data_json or "{}").get("item_id")
        if item_id is not None:
            person = _person_of(session, row.chat_id)
            assert person is not None
            assert progress_store.item_assigned(
                session, item_id=int(item_id), agency_id=person.agency_id
            ), f"a dialogue on another agency's item: {row}"


def _check_broadcasts(session: Session) -> None:
    for broadcast in session.exec(select(Broadcast)).all():
        creator = session.get(Person, broadcast.created_by)
        assert creator is not None and creator.role == "admin", f"broadcast by {creator}"


def _check_registrations(session: Session) -> None:
    assert len(session.exec(select(Person)).all()) == len(MEMBERS)
    assert len(session.exec(select(ChannelIdentity)).all()) == len(MEMBERS)
    assert not session.exec(select(Invite)).all()


def _check_snoozes(session: Session) -> None:
    for row in session.exec(select(Reminder).where(col(Reminder.kind) == "snooze")).all():
        person = session.get(Person, row.person_id)
        assert person is not None and person.agency_id == row.agency_id
        assert progress_store.item_assigned(
            session, item_id=row.item_id, agency_id=row.agency_id
        ), f"a snooze on another agency's item: {row}"


def _person_of(session: Session, chat: str) -> Person | None:
    query = (
        select(Person)
        .join(ChannelIdentity, col(ChannelIdentity.person_id) == Person.id)
        .where(ChannelIdentity.chat_id == chat)
    )
    return session.exec(query).first()


@pytest.fixture(scope="module")
def world_template(plan_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(plan_database, tmp_path_factory.mktemp("world") / "template.db")


def test_random_and_malformed_events_never_crash_the_core_nor_cross_roles(
    world_template: Path,
) -> None:
    HostileChats.template = world_template
    runner = HostileChats.TestCase()
    runner.settings = settings(
        max_examples=75,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    runner.runTest()
