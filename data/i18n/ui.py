"""Texts of the shell and the pages."""

STRINGS = {
    "app.title": {"kk": "ҚТК — өтінімдер мен мерзімдер", "ru": "КЖК — заявки и сроки"},
    "app.brand": {"kk": "ҚТК · Мерзімдер", "ru": "КЖК · Сроки"},
    "nav.overview": {"kk": "Шолу", "ru": "Обзор"},
    # a deadline clock, the same words on the application and the complaint pages
    "clock.days.left": {
        "kk": "{wd} жұмыс күні қалды ({cd} күнтізбелік күн)",
        "ru": "Осталось {wd} раб. дн. ({cd} календ. дн.)",
    },
    "clock.days.today": {"kk": "Мерзімі — бүгін", "ru": "Срок — сегодня"},
    "clock.days.overdue": {
        "kk": "Мерзімі өтті: {wd} жұмыс күні ({cd} күнтізбелік күн)",
        "ru": "Просрочено на {wd} раб. дн. ({cd} календ. дн.)",
    },
    "clock.state.on_track": {"kk": "Мерзімінде", "ru": "В срок"},
    "clock.state.due_soon": {"kk": "Мерзімі жақын", "ru": "Срок скоро"},
    "clock.state.overdue": {"kk": "Мерзімі өткен", "ru": "Просрочен"},
    "clock.state.paused": {"kk": "Тоқтатылған", "ru": "Приостановлен"},
    "clock.state.stopped_met": {"kk": "Мерзімінде орындалды", "ru": "Выполнен в срок"},
    "clock.state.stopped_late": {"kk": "Кешігіп орындалды", "ru": "Выполнен с опозданием"},
    "clock.state.stopped": {"kk": "Аяқталды", "ru": "Завершён"},
    "nav.admin": {"kk": "Әкімшілік", "ru": "Администрирование"},
    "lang.kk": {"kk": "Қазақша", "ru": "Қазақша"},
    "lang.ru": {"kk": "Русский", "ru": "Русский"},
    "kind.correction": {"kk": "Заңды тұлғаның түзету өтінімі", "ru": "Заявка юрлица на корректировку"},
    "kind.rent_to_own": {"kk": "Сатып алу құқығымен жалдау", "ru": "Аренда с выкупом"},
    "kind.correction.short": {"kk": "Түзету", "ru": "Корректировка"},
    "kind.rent_to_own.short": {"kk": "Жалдау-сатып алу", "ru": "Аренда с выкупом"},
    "overview.heading": {"kk": "Жұмыс шолуы", "ru": "Обзор работы"},
    "overview.as_of": {"kk": "{date} жағдай бойынша", "ru": "По состоянию на {date}"},
    "kpi.open": {"kk": "Ашық өтінімдер", "ru": "Открытые заявки"},
    "kpi.due_soon": {"kk": "Мерзімі жақын", "ru": "Срок скоро"},
    "kpi.overdue": {"kk": "Мерзімі өткен", "ru": "Просрочено"},
    "chart.backlog": {"kk": "Мәртебелер бойынша өтінімдер", "ru": "Заявки по статусам"},
    "chart.count": {"kk": "Саны", "ru": "Количество"},
    "empty.no_applications": {
        "kk": "Әзірге өтінімдер жоқ. Демо деректерді жүктеңіз: flask --app app seed-demo",
        "ru": "Заявок пока нет. Загрузите демо-данные: flask --app app seed-demo",
    },
}
