"""Labels of the reports, and their Vietnamese until the ``vi`` catalog carries them.

Every user-facing string of ``bot.reports`` is written in English and passed through
``t._`` (or marked with ``N_``) so ``make messages`` extracts it. The project's ``vi``
catalog may not have them yet; ``localized(t)`` then falls back to ``VI`` below, so a
coordinator never reads English labels. Once the catalog has a string, the catalog wins.
A test checks that ``VI`` covers every string the package uses.
"""

from __future__ import annotations

from bot.i18n import N_, Translator

STATUS_LABELS: dict[str, str] = {
    "done": N_("Done"),
    "in_progress": N_("In progress"),
    "blocked": N_("Blocked"),
    "not_started": N_("Not started"),
    "no_update": N_("No update"),
}

VI: dict[str, str] = {
    # status labels (the answers a focal point gives, and "no answer yet")
    "Done": "Hoàn thành",
    "In progress": "Đang thực hiện",
    "Blocked": "Gặp vướng mắc",
    "Not started": "Chưa thực hiện",
    "No update": "Chưa báo cáo",
    "On time": "Đúng hạn",
    "Late": "Trễ hạn",
    "Overdue": "Quá hạn",
    # text (chat and terminal)
    "Status at {time}": "Tình hình lúc {time}",
    "Reported: {reported}/{total} agencies": "Đã báo cáo: {reported}/{total} cơ quan, đơn vị",
    "Not reported ({n}): {names}": "Chưa báo cáo ({n}): {names}",
    "Overdue ({n}): {names}": "Quá hạn ({n}): {names}",
    "(no note)": "(không có ghi chú)",
    "No due date": "Không có thời hạn",
    "Due: {date}": "Hạn: {date}",
    "({n} days left)": "(còn {n} ngày)",
    "(passed {n} days ago)": "(đã qua {n} ngày)",
    "and {n} more": "và {n} đơn vị khác",
    "{code}: nothing assigned in this plan.":
        "{code}: không được giao nhiệm vụ trong kế hoạch này.",
    "Focal points: {names}": "Đầu mối: {names}",
    "none registered": "chưa đăng ký",
    "Reports on time: {on_time}/{decided}": "Báo cáo đúng hạn: {on_time}/{decided}",
    "due {date}": "hạn {date}",
    "updated {time}": "cập nhật {time}",
    "OVERDUE": "QUÁ HẠN",
    "no focal point registered": "chưa có đầu mối",
    "No agency is overdue.": "Không có cơ quan, đơn vị nào quá hạn.",
    "Overdue agencies at {time}": "Các cơ quan, đơn vị quá hạn lúc {time}",
    "Ongoing tasks (no due date):": "Nhiệm vụ thường xuyên (không có thời hạn):",
    "{reported}/{total} reported": "{reported}/{total} đơn vị đã báo cáo",
    # chart
    "Due {date} · reported {reported}/{total}": "Hạn {date} · đã báo cáo {reported}/{total}",
    "{n} overdue": "{n} quá hạn",
    # spreadsheet
    "Summary": "Tổng hợp",
    "Tasks": "Nhiệm vụ",
    "History": "Lịch sử cập nhật",
    "Item": "Mã",
    "Title": "Nội dung",
    "Section": "Mục",
    "Due date": "Hạn",
    "Assigned": "Số đơn vị",
    "Agency code": "Mã đơn vị",
    "Agency": "Cơ quan, đơn vị",
    "Group": "Nhóm",
    "Focal point": "Đầu mối",
    "Status": "Trạng thái",
    "Note": "Ghi chú",
    "Updated at": "Thời gian cập nhật",
    "On time or late": "Đúng hạn/Trễ hạn",
    "Time": "Thời gian",
    "Person": "Người cập nhật",
    "Status code": "Mã trạng thái",
    "Channel": "Kênh",
    "Report items on time": "Số báo cáo đúng hạn",
    "Report items due": "Số báo cáo đã đến hạn",
    "On-time rate": "Tỷ lệ đúng hạn",
    "Plan {code}: {title}": "Kế hoạch {code}: {title}",
    "Status at {time}; times are Vietnam time (UTC+7).":
        "Số liệu lúc {time}; thời gian theo giờ Việt Nam (UTC+7).",
}


def status_label(t: Translator, status: str) -> str:
    """The label of a status code (``done`` → "Hoàn thành" in Vietnamese)."""
    return t._(STATUS_LABELS[status])


def on_time_label(t: Translator, on_time: bool | None) -> str:
    """"On time", "Late", or empty while undecided."""
    if on_time is None:
        return ""
    return t._("On time") if on_time else t._("Late")


class _Localized(Translator):
    """A translator that falls back to ``VI`` for Vietnamese strings the catalog lacks."""

    def _(self, message: str) -> str:
        text = super()._(message)
        if text == message and self.locale == "vi":
            return VI.get(message, message)
        return text


def localized(t: Translator) -> Translator:
    """``t`` with the ``VI`` fallback (idempotent)."""
    return t if isinstance(t, _Localized) else _Localized(t.locale)
