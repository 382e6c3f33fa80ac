"""The one ordered place where every command is declared: name, aliases, roles, description.

Role policy: focal points report on their agency's items; coordinators also see the
consolidated status; admins can do everything, including broadcasts. A refusal is polite
and goes to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core import broadcast, coordination, progress
from bot.core.invites import redeem
from bot.core.turn import Turn
from bot.i18n import N_, SUPPORTED_LOCALES, translator
from storage import dialogues
from storage.models import Role

EVERYONE = frozenset({Role.FOCAL, Role.COORDINATOR, Role.ADMIN})
COORDINATORS = frozenset({Role.COORDINATOR, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # marked with N_, shown translated in /help and setMyCommands
    roles: frozenset[str]
    run: Callable[[Turn, str], None]
    aliases: tuple[str, ...] = ()
    quick: bool = False  # a few small queries: may run on an adapter's event loop


def _help(turn: Turn, _args: str) -> None:
    role = turn.person.role if turn.person else None
    lines = [turn._("Commands you can use:")]
    for command in COMMANDS:
        if role in command.roles:
            lines.append(f"/{command.name} — {turn._(command.description)}")
    turn.reply("\n".join(lines))


def _tasks(turn: Turn, _args: str) -> None:
    coordination.tasks(turn)


def _report(turn: Turn, _args: str) -> None:
    progress.start(turn)


def _status(turn: Turn, args: str) -> None:
    coordination.status(turn, args)


def _overdue(turn: Turn, _args: str) -> None:
    coordination.overdue(turn)


def _export(turn: Turn, args: str) -> None:
    coordination.export(turn, args)


def _broadcast(turn: Turn, _args: str) -> None:
    broadcast.start(turn)


def _lang(turn: Turn, args: str) -> None:
    assert turn.person is not None
    wanted = args.strip().lower() or ("en" if turn.person.locale == "vi" else "vi")
    if wanted not in SUPPORTED_LOCALES:
        turn.reply(turn._("Available languages: vi, en."))
        return
    turn.person.locale = wanted
    turn.session.add(turn.person)
    turn.t = translator(wanted)
    turn.reply(turn._("Language set to English."))


def _cancel(turn: Turn, _args: str) -> None:
    ended = dialogues.clear_dialogue(
        turn.session, channel=turn.event.channel, chat_id=turn.event.chat_id
    )
    turn.reply(
        turn._("Cancelled. Nothing was recorded.")
        if ended
        else turn._("There is nothing to cancel.")
    )


COMMANDS: tuple[Command, ...] = (
    Command("report", N_("report progress on an item"), EVERYONE, _report, ("baocao",), quick=True),
    Command("tasks", N_("your items, due dates and latest status"), EVERYONE, _tasks, ("nhiemvu",)),
    Command("status", N_("consolidated status of the plan"), COORDINATORS, _status, ("tinhhinh",)),
    Command("overdue", N_("agencies that are overdue"), COORDINATORS, _overdue, ("quahan",)),
    Command(
        "export",
        N_("the consolidated report as XLSX, DOCX and CSV files"),
        COORDINATORS,
        _export,
        ("xuat",),
    ),
    Command("broadcast", N_("send a notice to many people"), ADMINS, _broadcast, ("thongbao",)),
    Command("help", N_("what this bot can do"), EVERYONE, _help, ("huongdan",), quick=True),
    Command(
        "lang",
        N_("switch language (Vietnamese / English)"),
        EVERYONE,
        _lang,
        ("ngonngu",),
        quick=True,
    ),
    Command("cancel", N_("cancel the current dialogue"), EVERYONE, _cancel, ("huy",), quick=True),
)

_BY_NAME: dict[str, Command] = {
    name: command for command in COMMANDS for name in (command.name, *command.aliases)
}


def run_command(turn: Turn, name: str, args: str) -> None:
    """Route ``/name args``: registration first, then role checks, then the command."""
    if name == "start":
        if args:
            redeem(turn, args.split()[0])
        elif turn.person is None:
            redeem(turn, "")
        else:
            _help(turn, "")
        return
    command = _BY_NAME.get(name)
    if command is None:
        turn.reply(turn._("Unknown command. Send /help to see the commands."))
        return
    if turn.person is None:
        turn.audit(command.name, "refused", "not registered")
        redeem(turn, "")
        return
    if turn.person.role not in command.roles:
        turn.audit(command.name, "refused", f"role {turn.person.role}")
        turn.reply(
            turn._("Sorry, this command is for coordinators and administrators only.")
            if command.roles != ADMINS
            else turn._("Sorry, this command is for administrators only.")
        )
        return
    if not command.quick:
        turn.slow()
    command.run(turn, args)
