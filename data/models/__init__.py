"""The ORM models. Import from here: ``from data.models import Application``."""
from data.models.base import Base, UTCDateTime, utcnow
from data.models.reference import Akimat, CalendarOverride, DeadlinePolicy, ReferenceItem
from data.models.user import User
from data.models.application import Application, ApplicationDocument, Guarantor
from data.models.history import StatusEvent
from data.models.clock import Clock, ClockEvent
from data.models.lists import ListBatch, Recipient
from data.models.complaint import Complaint


def _import_all_models() -> None:
    """Import every model module so Base.metadata (and Alembic) sees every table."""
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_import_all_models()

__all__ = [
    "Akimat",
    "Application",
    "ApplicationDocument",
    "Base",
    "CalendarOverride",
    "Clock",
    "ClockEvent",
    "Complaint",
    "DeadlinePolicy",
    "Guarantor",
    "ListBatch",
    "Recipient",
    "ReferenceItem",
    "StatusEvent",
    "UTCDateTime",
    "User",
    "utcnow",
]
