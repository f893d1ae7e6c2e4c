"""Sentences that explain a due date, and weekday names."""

STRINGS = {
    "weekday.0": {"kk": "дүйсенбі", "ru": "понедельник"},
    "weekday.1": {"kk": "сейсенбі", "ru": "вторник"},
    "weekday.2": {"kk": "сәрсенбі", "ru": "среда"},
    "weekday.3": {"kk": "бейсенбі", "ru": "четверг"},
    "weekday.4": {"kk": "жұма", "ru": "пятница"},
    "weekday.5": {"kk": "сенбі", "ru": "суббота"},
    "weekday.6": {"kk": "жексенбі", "ru": "воскресенье"},
    "explain.override_holiday": {"kk": "демалыс күні (әкімші белгіледі)", "ru": "выходной (задан администратором)"},
    "explain.start_in_hours": {
        "kk": "{received} ({weekday}) жұмыс уақытында түсті, {registered} тіркелді.",
        "ru": "Поступило {received} ({weekday}) в рабочее время, зарегистрировано {registered}.",
    },
    "explain.start_before_opening": {
        "kk": "{received} ({weekday}) жұмыс басталғанға дейін түсті, сол күні {registered} тіркелді.",
        "ru": "Поступило {received} ({weekday}) до начала рабочего дня, зарегистрировано в тот же день {registered}.",
    },
    "explain.start_after_hours": {
        "kk": "{received} ({weekday}) жұмыс уақыты аяқталғаннан кейін түсті, келесі жұмыс күні {registered} тіркелді.",
        "ru": "Поступило {received} ({weekday}) после окончания рабочего времени, зарегистрировано "
        "в следующий рабочий день {registered}.",
    },
    "explain.start_non_working_day": {
        "kk": "{received} ({weekday}) жұмыс емес күні түсті, келесі жұмыс күні {registered} тіркелді.",
        "ru": "Поступило {received} ({weekday}) в нерабочий день, зарегистрировано в следующий рабочий день {registered}.",
    },
    "explain.restart_in_hours": {
        "kk": "Қайта жіберілді {received}; мерзім {registered} бастап қайта басталды.",
        "ru": "Повторно подано {received}; срок начат заново с {registered}.",
    },
    "explain.restart_before_opening": {
        "kk": "Қайта жіберілді {received}; мерзім {registered} бастап қайта басталды.",
        "ru": "Повторно подано {received}; срок начат заново с {registered}.",
    },
    "explain.restart_after_hours": {
        "kk": "Қайта жіберілді {received} (жұмыс уақытынан кейін); мерзім {registered} бастап қайта басталды.",
        "ru": "Повторно подано {received} (после рабочего времени); срок начат заново с {registered}.",
    },
    "explain.restart_non_working_day": {
        "kk": "Қайта жіберілді {received} (жұмыс емес күн); мерзім {registered} бастап қайта басталды.",
        "ru": "Повторно подано {received} (нерабочий день); срок начат заново с {registered}.",
    },
    "explain.start_event": {"kk": "Оқиға күні: {date}.", "ru": "Дата события: {date}."},
    "explain.restart_event": {"kk": "Мерзім {date} бастап қайта басталды.", "ru": "Срок начат заново с {date}."},
    "explain.skipped": {"kk": "Өткізілген күндер: {skipped}.", "ru": "Пропущены: {skipped}."},
    "explain.set_date": {
        "kk": "Мерзімді қызметкер {on} белгіледі: {date}.",
        "ru": "Срок установлен сотрудником {on}: {date}.",
    },
    "explain.term_cd": {
        "kk": "{start} кейін {n} күнтізбелік күн → {end}.",
        "ru": "{n} календарных дней после {start} → {end}.",
    },
    "explain.term_cd_extra": {
        "kk": "{start} кейін {n} күнтізбелік күн және тоқтатылған {extra} күн → {end}.",
        "ru": "{n} календарных дней после {start} плюс {extra} дн. приостановки → {end}.",
    },
    "explain.term_wd": {
        "kk": "{start} кейін {n}-жұмыс күні → {due}.",
        "ru": "{n}-й рабочий день после {start} → {due}.",
    },
    "explain.term_wd_extra": {
        "kk": "{start} кейін {n} жұмыс күні және тоқтатылған {extra} жұмыс күні → {due}.",
        "ru": "{n} рабочих дней после {start} плюс {extra} раб. дн. приостановки → {due}.",
    },
    "explain.holidays_skipped": {"kk": "Мереке күндері өткізілді: {days}.", "ru": "Пропущены праздники: {days}."},
    "explain.rolled_forward": {
        "kk": "{frm} — жұмыс емес күн ({days}), мерзім {to} күніне ауыстырылды.",
        "ru": "{frm} — нерабочий день ({days}), срок перенесён на {to}.",
    },
    "explain.paused_cd": {
        "kk": "Мерзім {frm} бастап {to} дейін тоқтатылды ({days} күнтізбелік күн қосылды).",
        "ru": "Срок приостанавливался с {frm} по {to} (добавлено {days} календ. дн.).",
    },
    "explain.paused_wd": {
        "kk": "Мерзім {frm} бастап {to} дейін тоқтатылды ({days} жұмыс күні қосылды).",
        "ru": "Срок приостанавливался с {frm} по {to} (добавлено {days} раб. дн.).",
    },
    "explain.paused_set": {
        "kk": "Мерзім {frm} бастап {to} дейін тоқтатылды.",
        "ru": "Срок приостанавливался с {frm} по {to}.",
    },
    "explain.paused_restart": {"kk": "Мерзім {frm} тоқтатылды.", "ru": "Срок приостановлен {frm}."},
    "explain.extended": {
        "kk": "{days} жұмыс күнге ұзартылды: {frm} → {to}.",
        "ru": "Продлено на {days} раб. дн.: {frm} → {to}.",
    },
    "explain.paused_now": {
        "kk": "{since} бастап тоқтатылған (өтініш берушіні күтуде).",
        "ru": "Приостановлен с {since} (ожидание заявителя).",
    },
    "explain.due": {"kk": "Мерзімі: {date}.", "ru": "Срок: {date}."},
}
