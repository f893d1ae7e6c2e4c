"""Lifecycles as data: statuses, allowed transitions, what each records, which clocks it moves.

Four workflows: ``correction`` (legal-entity correction application, seed 000), ``rent_to_own``
(seed 001), ``recipient`` (akimat list recipient, seed 001 p.6-7) and ``complaint`` (seed 004).
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Clock actions a transition performs, as (action, policy code).
START, PAUSE, RESUME, STOP, START_SET = "start", "pause", "resume", "stop", "start_set"


@dataclass(frozen=True)
class Status:
    code: str
    kk: str
    ru: str
    color: str  # one palette name, used the same everywhere (see assets/)
    final: bool = False

    def label(self, lang: str) -> str:
        return self.ru if lang == "ru" else self.kk


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    requires: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    clocks: tuple[tuple[str, str], ...] = ()
    guard: str | None = None  # name of an extra check in data.workflows


@dataclass(frozen=True)
class Workflow:
    kind: str
    statuses: tuple[Status, ...]
    transitions: tuple[Transition, ...]
    initial: str
    main_policy: str | None = None
    by_code: dict[str, Status] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_code", {s.code: s for s in self.statuses})

    def status(self, code: str) -> Status:
        return self.by_code[code]

    def allowed_from(self, source: str) -> list[Transition]:
        return [t for t in self.transitions if t.source == source]

    def find(self, source: str, target: str) -> Transition | None:
        for t in self.transitions:
            if t.source == source and t.target == target:
                return t
        return None

    def final_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.statuses if s.final)

    def open_codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.statuses if not s.final)


CORRECTION = Workflow(
    kind="correction",
    initial="creating",
    main_policy="ktk_review",
    statuses=(
        Status("creating", "Жасауда", "Создаётся", "slate"),
        Status("sent", "Өтінім жіберілді", "Заявка отправлена", "sky"),
        Status("registered", "Өтінім тіркелген", "Заявка зарегистрирована", "blue"),
        Status("under_review", "Өтінім қарауда", "Заявка на рассмотрении", "indigo"),
        Status("needs_revision", "Өтінім қаралды, пысықтау қажет", "Заявка рассмотрена, требуется доработка", "amber"),
        Status("rejected", "Өтінім қабылданбады", "Заявка отклонена", "red", final=True),
        Status("approved_sa_preparing", "Өтінім мақұлданды, ҚК дайындалуда", "Заявка одобрена, готовится ДС", "teal"),
        Status("sa_applicant_signing", "Өтініш берушінің ҚК-ға қол қоюы", "Подписание ДС заявителем", "cyan"),
        Status("sa_ktk_signing", "ҚТК АҚ ҚК-ға қол қоюы", "Подписание ДС АО «КЖК»", "cyan"),
        Status("sa_signed", "ҚК қол қойылды", "ДС подписано", "green", final=True),
    ),
    transitions=(
        Transition("creating", "sent", optional=("received_at",)),
        Transition(
            "sent", "registered", requires=("registration_number",), optional=("received_at",),
            clocks=((START, "ktk_review"),),
        ),
        Transition("registered", "under_review", requires=("reviewer_id",)),
        Transition(
            "registered", "rejected", requires=("refusal_reason",), optional=("refusal_text",),
            clocks=((STOP, "ktk_review"),),
        ),
        Transition(
            "under_review", "needs_revision", requires=("remarks", "revision_due"),
            clocks=((PAUSE, "ktk_review"), (START_SET, "applicant_revision")),
        ),
        Transition(
            "needs_revision", "under_review", optional=("received_at",),
            clocks=((STOP, "applicant_revision"), (RESUME, "ktk_review")),
        ),
        Transition(
            "needs_revision", "rejected", requires=("refusal_reason",), optional=("refusal_text",),
            clocks=((STOP, "applicant_revision"), (STOP, "ktk_review")),
        ),
        Transition(
            "under_review", "rejected", requires=("refusal_reason",), optional=("refusal_text",),
            clocks=((STOP, "ktk_review"),),
        ),
        Transition("under_review", "approved_sa_preparing", clocks=((STOP, "ktk_review"),)),
        Transition("approved_sa_preparing", "sa_applicant_signing"),
        Transition("sa_applicant_signing", "sa_ktk_signing"),
        Transition("sa_ktk_signing", "sa_signed", requires=("agreement_number", "agreement_date")),
    ),
)

RENT_TO_OWN = Workflow(
    kind="rent_to_own",
    initial="submitted",
    main_policy="ktk_review",
    statuses=(
        Status("submitted", "Өтінім берілді", "Заявка подана", "blue"),
        Status("under_review", "Өтінім қарауда", "Заявка на рассмотрении", "indigo"),
        Status("needs_revision", "Өтінім қаралды, пысықтау қажет", "Заявка рассмотрена, требуется доработка", "amber"),
        Status("rejected", "Дәлелді бас тарту", "Мотивированный отказ", "red", final=True),
        Status("approved", "Өтінім мақұлданды", "Заявка одобрена", "teal"),
        Status("contract_applicant_signing", "Шартқа өтініш берушінің қол қоюы", "Подписание договора заявителем", "cyan"),
        Status("contract_guarantor_signing", "Шартқа кепілгердің қол қоюы", "Подписание договора поручителем", "cyan"),
        Status("contract_ktk_signing", "Шартқа ҚТК қол қоюы", "Подписание договора КЖК", "cyan"),
        Status("contract_signed", "Шартқа қол қойылды", "Договор подписан", "sky"),
        Status("registration_payment", "Мемлекеттік тіркеуге төлем", "Оплата госрегистрации", "slate"),
        Status("registration_submitted", "Мемлекеттік тіркеуге жіберілді", "Направлено на госрегистрацию", "violet"),
        Status("registered", "Құқық тіркелді", "Право зарегистрировано", "green", final=True),
        Status("registration_suspended", "Тіркеу тоқтатыла тұрды", "Регистрация приостановлена", "amber"),
        Status("registration_refused", "Тіркеуден бас тартылды", "В регистрации отказано", "red", final=True),
    ),
    transitions=(
        Transition("submitted", "under_review", requires=("reviewer_id",)),
        Transition(
            "submitted", "rejected", requires=("refusal_reason",), optional=("refusal_text",),
            clocks=((STOP, "ktk_review"),),
        ),
        Transition(
            "under_review", "needs_revision", requires=("remarks", "revision_due"),
            clocks=((PAUSE, "ktk_review"), (START_SET, "applicant_revision")),
        ),
        Transition(
            "needs_revision", "under_review", optional=("received_at",),
            clocks=((STOP, "applicant_revision"), (RESUME, "ktk_review")),
        ),
        Transition(
            "needs_revision", "rejected", requires=("refusal_reason",), optional=("refusal_text",),
            clocks=((STOP, "applicant_revision"), (STOP, "ktk_review")),
        ),
        Transition(
            "under_review", "rejected", requires=("refusal_reason",), optional=("refusal_text",),
            clocks=((STOP, "ktk_review"),),
        ),
        Transition("under_review", "approved", clocks=((STOP, "ktk_review"),), guard="consent"),
        Transition("approved", "contract_applicant_signing"),
        Transition("contract_applicant_signing", "contract_guarantor_signing", guard="has_guarantors"),
        Transition("contract_applicant_signing", "contract_ktk_signing", guard="no_guarantors"),
        Transition("contract_guarantor_signing", "contract_ktk_signing"),
        Transition("contract_ktk_signing", "contract_signed", requires=("contract_number", "contract_date")),
        Transition("contract_signed", "registration_payment"),
        Transition(
            "registration_payment", "registration_submitted", requires=("payment_confirmed_at",),
            clocks=((START, "state_registration"),),
        ),
        Transition("registration_submitted", "registered", clocks=((STOP, "state_registration"),)),
        Transition(
            "registration_submitted", "registration_suspended", requires=("comment",),
            clocks=((PAUSE, "state_registration"),),
        ),
        Transition(
            "registration_suspended", "registration_submitted", requires=("comment",),
            clocks=((RESUME, "state_registration"),),
        ),
        Transition(
            "registration_submitted", "registration_refused", requires=("comment",),
            clocks=((STOP, "state_registration"),),
        ),
        Transition(
            "registration_suspended", "registration_refused", requires=("comment",),
            clocks=((STOP, "state_registration"),),
        ),
    ),
)

RECIPIENT = Workflow(
    kind="recipient",
    initial="listed",
    main_policy="applicant_submission",
    statuses=(
        Status("listed", "Тізімге енгізілді", "Внесён в список", "slate"),
        Status("notified", "СМС жіберілді", "СМС отправлено", "blue"),
        Status("applied", "Өтінім берді", "Подал заявку", "green", final=True),
        Status("expired", "Мерзімі өтті", "Срок истёк", "red", final=True),
    ),
    transitions=(
        Transition("listed", "notified", optional=("sent_at",), clocks=((START, "applicant_submission"),)),
        Transition("notified", "applied", requires=("application_id",), clocks=((STOP, "applicant_submission"),)),
        Transition("listed", "applied", requires=("application_id",)),
        Transition("notified", "expired", clocks=((STOP, "applicant_submission"),)),
    ),
)

# An answer ends the complaint's term (whichever level it has) and any pending extension notice.
_ANSWER_STOPS = ((STOP, "complaint_provider"), (STOP, "complaint_quality_body"),
                 (STOP, "complaint_extension_notice"))

COMPLAINT = Workflow(
    kind="complaint",
    initial="registered",
    statuses=(
        Status("registered", "Шағым тіркелді", "Жалоба зарегистрирована", "blue"),
        Status("under_review", "Шағым қарауда", "Жалоба на рассмотрении", "indigo"),
        Status("extended", "Қарау мерзімі ұзартылды", "Срок рассмотрения продлён", "amber"),
        Status("answered", "Жауап берілді", "Ответ дан", "green", final=True),
    ),
    transitions=(
        Transition("registered", "under_review", optional=("responsible_id",)),
        Transition("under_review", "extended", requires=("extension_reason", "extension_days")),
        Transition("extended", "extended", requires=("extension_reason", "extension_days")),
        Transition("registered", "answered", requires=("outcome", "answer_text"), optional=("answer_date",),
                   clocks=_ANSWER_STOPS),
        Transition("under_review", "answered", requires=("outcome", "answer_text"), optional=("answer_date",),
                   clocks=_ANSWER_STOPS),
        Transition("extended", "answered", requires=("outcome", "answer_text"), optional=("answer_date",),
                   clocks=_ANSWER_STOPS),
    ),
)

WORKFLOWS: dict[str, Workflow] = {w.kind: w for w in (CORRECTION, RENT_TO_OWN, RECIPIENT, COMPLAINT)}
APPLICATION_KINDS = ("correction", "rent_to_own")

# Fields a transition may record, with the kind of value each takes (see data.workflows).
FIELD_TYPES: dict[str, str] = {
    "received_at": "datetime",
    "registration_number": "text",
    "reviewer_id": "user",
    "refusal_reason": "refusal_reason",
    "refusal_text": "text",
    "remarks": "text",
    "revision_due": "date",
    "agreement_number": "text",
    "agreement_date": "date",
    "contract_number": "text",
    "contract_date": "date",
    "payment_confirmed_at": "datetime",
    "comment": "text",
    "sent_at": "datetime",
    "application_id": "int",
    "responsible_id": "user",
    "extension_reason": "extension_reason",
    "extension_days": "int",
    "outcome": "outcome",
    "answer_text": "text",
    "answer_date": "date",
}

EXTENSION_REASONS = ("additional_study", "site_inspection", "additional_information")
OUTCOMES = ("upheld", "partly_upheld", "rejected")

# Rent-to-own document checklist (seed 001 p.10).
DOCUMENT_CHECKLIST = (
    "employment_certificate",
    "salary_certificate",
    "marriage_certificates",
    "no_marriage_statement",
    "children_birth_certificates",
    "no_real_estate_certificate",
)

# Social categories of recipients (seed 001 p.5).
CATEGORIES = ("socially_vulnerable", "budget_employee", "city_forming_employee")
