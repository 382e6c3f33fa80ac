"""Issue 3, end to end: the real bot process, the sandbox over loopback HTTP, real people."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.harness import BotEnv, BotProcess, Person, buttons

pytestmark = pytest.mark.e2e


def _register(
    bot_env: BotEnv, person: Callable[[str], Person], agency: str, role: str, name: str
) -> Person:
    chat = person(name)
    token = bot_env.invite(agency, role, name)
    welcome = chat.say(f"/start {token}")[0]["text"]
    assert f"Kính gửi đồng chí {name}" in welcome or name in welcome
    return chat


def _updates(bot_env: BotEnv) -> list[tuple[str, str | None]]:
    engine = create_engine(bot_env.database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, note FROM progress_update ORDER BY id"))
        return [(r[0], r[1]) for r in rows]


def test_focal_point_reports_with_buttons(
    bot_env: BotEnv, start_bot: Callable[[], BotProcess], person: Callable[[str], Person]
) -> None:
    start_bot()
    an = _register(bot_env, person, "SNV", "focal", "Nguyễn Văn An")
    items = an.say("/report")[0]
    assert "Báo cáo công tác bình đẳng giới" in items["text"]
    status_question = an.press(items, buttons(items)[0][1])[0]
    assert [label for label, _ in buttons(status_question)] == [
        "Hoàn thành",
        "Đang thực hiện",
        "Gặp vướng mắc",
        "Chưa thực hiện",
    ]
    note_question = an.press(status_question, "Gặp vướng mắc")[0]
    assert "Bỏ qua" in [label for label, _ in buttons(note_question)]
    confirmation = an.say("Chưa bố trí được kinh phí")[0]["text"]
    assert "Đã ghi nhận" in confirmation
    assert "Gặp vướng mắc" in confirmation and "Chưa bố trí được kinh phí" in confirmation
    assert "/2021" in confirmation  # the time, in Vietnamese date style
    assert _updates(bot_env) == [("blocked", "Chưa bố trí được kinh phí")]


def test_same_dialogue_answered_with_numbered_text(
    bot_env: BotEnv, start_bot: Callable[[], BotProcess], person: Callable[[str], Person]
) -> None:
    start_bot()
    binh = _register(bot_env, person, "STP", "focal", "Trần Thị Bình")
    binh.say("/baocao")
    binh.say("2")
    binh.say("hoan thanh")  # the words of a choice, without diacritics
    confirmation = binh.say("bỏ qua")[0]["text"]
    assert "Hoàn thành" in confirmation
    assert _updates(bot_env) == [("done", None)]


def test_coordinator_sees_update_and_focal_point_is_refused_status(
    bot_env: BotEnv, start_bot: Callable[[], BotProcess], person: Callable[[str], Person]
) -> None:
    start_bot()
    an = _register(bot_env, person, "SNV", "focal", "Nguyễn Văn An")
    an.say("/report")
    an.say("1")
    an.say("2")
    an.say("Đang tổng hợp số liệu")
    chi = _register(bot_env, person, "SLDTBXH", "coordinator", "Lê Thị Chi")
    status_text = "\n".join(
        m.get("text") or m.get("caption") or "" for m in chi.say("/status", expect=1)
    )
    assert "Sở Nội vụ" in status_text
    refusal = an.say("/status")[0]["text"]
    assert "Xin lỗi" in refusal
    engine = create_engine(bot_env.database_url)
    with engine.connect() as conn:
        refused = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action='status' AND outcome='refused'")
        ).scalar()
    assert refused == 1


def test_start_without_valid_token_explains_and_stores_nothing(
    bot_env: BotEnv, start_bot: Callable[[], BotProcess], person: Callable[[str], Person]
) -> None:
    start_bot()
    stranger = person("Khách")
    answer = stranger.say("/start")[0]["text"]
    assert "lời mời" in answer
    assert "lời mời" in stranger.say("/start khong-phai-ma-moi-hop-le")[0]["text"]
    engine = create_engine(bot_env.database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM person")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM channel_identity")).scalar() == 0


def test_dialogue_survives_a_bot_restart(
    bot_env: BotEnv, start_bot: Callable[[], BotProcess], person: Callable[[str], Person]
) -> None:
    first = start_bot()
    an = _register(bot_env, person, "SNV", "focal", "Nguyễn Văn An")
    an.say("/report")
    an.say("1")
    first.kill()
    start_bot()
    an.say("3")  # Gặp vướng mắc, answered to the new process
    confirmation = an.say("Thiếu nhân sự")[0]["text"]
    assert "Gặp vướng mắc" in confirmation
    assert _updates(bot_env) == [("blocked", "Thiếu nhân sự")]
