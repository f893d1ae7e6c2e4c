"""Reference data every database needs: akimats of the regions, configurable lists, policies.

``ensure_reference_data`` is idempotent; ``flask --app app db upgrade`` runs it after migrating.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Akimat, ReferenceItem
from data.policies import seed_policies

# The 17 regions and 3 cities of republican significance: (KATO, kk, ru, level).
REGIONS: tuple[tuple[str, str, str, str], ...] = (
    ("100000000", "Абай облысының әкімдігі", "Акимат области Абай", "region"),
    ("110000000", "Ақмола облысының әкімдігі", "Акимат Акмолинской области", "region"),
    ("150000000", "Ақтөбе облысының әкімдігі", "Акимат Актюбинской области", "region"),
    ("190000000", "Алматы облысының әкімдігі", "Акимат Алматинской области", "region"),
    ("230000000", "Атырау облысының әкімдігі", "Акимат Атырауской области", "region"),
    ("270000000", "Батыс Қазақстан облысының әкімдігі", "Акимат Западно-Казахстанской области", "region"),
    ("310000000", "Жамбыл облысының әкімдігі", "Акимат Жамбылской области", "region"),
    ("330000000", "Жетісу облысының әкімдігі", "Акимат области Жетісу", "region"),
    ("350000000", "Қарағанды облысының әкімдігі", "Акимат Карагандинской области", "region"),
    ("390000000", "Қостанай облысының әкімдігі", "Акимат Костанайской области", "region"),
    ("430000000", "Қызылорда облысының әкімдігі", "Акимат Кызылординской области", "region"),
    ("470000000", "Маңғыстау облысының әкімдігі", "Акимат Мангистауской области", "region"),
    ("550000000", "Павлодар облысының әкімдігі", "Акимат Павлодарской области", "region"),
    ("590000000", "Солтүстік Қазақстан облысының әкімдігі", "Акимат Северо-Казахстанской области", "region"),
    ("610000000", "Түркістан облысының әкімдігі", "Акимат Туркестанской области", "region"),
    ("620000000", "Ұлытау облысының әкімдігі", "Акимат области Улытау", "region"),
    ("630000000", "Шығыс Қазақстан облысының әкімдігі", "Акимат Восточно-Казахстанской области", "region"),
    ("710000000", "Астана қаласының әкімдігі", "Акимат города Астаны", "city"),
    ("750000000", "Алматы қаласының әкімдігі", "Акимат города Алматы", "city"),
    ("790000000", "Шымкент қаласының әкімдігі", "Акимат города Шымкента", "city"),
)

# Configurable lists: (list, code, kk, ru). "other" lets the user write free text.
LISTS: tuple[tuple[str, str, str, str], ...] = (
    ("refusal_reason", "false_documents", "Ұсынылған құжаттардың және (немесе) деректердің анық еместігі анықталды",
     "Установлена недостоверность представленных документов и (или) данных"),
    ("refusal_reason", "incomplete_documents", "Құжаттар топтамасы толық емес",
     "Представлен неполный пакет документов"),
    ("refusal_reason", "not_eligible", "Көрсетілетін қызметті алушы талаптарға сәйкес келмейді",
     "Услугополучатель не соответствует требованиям"),
    ("refusal_reason", "insolvent", "Төлем қабілеттілігі жеткіліксіз, кепілгер тартылмаған",
     "Недостаточная платёжеспособность, поручитель не привлечён"),
    ("refusal_reason", "affiliated", "ҚТК-мен үлестес тұлға", "Лицо, аффилированное с КЖК"),
    ("refusal_reason", "sanctions_list", "Терроризм мен экстремизмді қаржыландыруға байланысты тізбеде бар",
     "Состоит в перечне лиц, связанных с финансированием терроризма и экстремизма"),
    ("refusal_reason", "no_consent", "Дербес деректерге қол жеткізуге келісім жоқ",
     "Отсутствует согласие на доступ к персональным данным"),
    ("refusal_reason", "revision_not_made", "Ескертулер белгіленген мерзімде жойылмады",
     "Замечания не устранены в установленный срок"),
    ("refusal_reason", "other", "Басқа", "Другое"),
    ("correction_category", "payment_schedule", "Төлем кестесін өзгерту", "Изменение графика платежей"),
    ("correction_category", "party_details", "Тарап деректемелерін өзгерту", "Изменение реквизитов стороны"),
    ("correction_category", "object_details", "Объект деректерін түзету", "Корректировка данных объекта"),
    ("correction_category", "area_change", "Алаңның өзгеруі", "Изменение площади"),
    ("correction_category", "term_change", "Шарт мерзімін өзгерту", "Изменение срока договора"),
    ("correction_category", "other", "Басқа", "Другое"),
)


def ensure_reference_data(session: Session) -> None:
    known = set(session.scalars(select(Akimat.kato)))
    for kato, kk, ru, level in REGIONS:
        if kato not in known:
            session.add(Akimat(kato=kato, name_kk=kk, name_ru=ru, level=level))
    existing = set(session.execute(select(ReferenceItem.list_name, ReferenceItem.code)).all())
    for sort, (list_name, code, kk, ru) in enumerate(LISTS):
        if (list_name, code) not in existing:
            session.add(ReferenceItem(list_name=list_name, code=code, label_kk=kk, label_ru=ru, sort=sort))
    seed_policies(session)
    session.flush()


def reference_items(session: Session, list_name: str) -> list[ReferenceItem]:
    return list(
        session.scalars(
            select(ReferenceItem)
            .where(ReferenceItem.list_name == list_name, ReferenceItem.active.is_(True))
            .order_by(ReferenceItem.sort)
        )
    )
