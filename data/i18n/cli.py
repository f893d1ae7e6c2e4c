"""Messages of the command line."""

STRINGS = {
    "cli.unknown_variant": {
        "kk": "«{code}» саясатында «{variant}» нұсқасы жоқ. Бары: {known}",
        "ru": "У политики «{code}» нет варианта «{variant}». Есть: {known}",
    },
    "cli.needs_due": {
        "kk": "«{code}» мерзімін адам белгілейді: --due КҮН көрсетіңіз",
        "ru": "Срок «{code}» устанавливает сотрудник: укажите --due ДАТА",
    },
    "cli.override_saved": {
        "kk": "{day}: {kind} сақталды. Ашық мерзімдер қайта есептелді: {checked}, өзгергені: {moved}",
        "ru": "{day}: {kind} сохранено. Пересчитано открытых сроков: {checked}, изменилось: {moved}",
    },
    "cli.override_removed": {
        "kk": "{day}: түзету алынды. Ашық мерзімдер қайта есептелді: {checked}, өзгергені: {moved}",
        "ru": "{day}: исправление удалено. Пересчитано открытых сроков: {checked}, изменилось: {moved}",
    },
    "cli.no_overrides": {"kk": "Түзетулер жоқ", "ru": "Исправлений нет"},
}
