"""What the run command does before serving: migrate, load demo data when empty."""
from __future__ import annotations

import os

from sqlalchemy import func, select

from data.auth import hash_password
from data.db import get_engine, session_scope
from data.migrate import upgrade_database
from data.models import Application, User


DEMO_PASSWORD = "Demo-2026!"


def prepare_embedded(demo_applications: int | None = None) -> list[str]:
    """Migrate the database; fill it with demo data when it has no applications.

    Returns the lines to print (the database, what was loaded, the demo sign-ins).
    """
    engine = get_engine()
    upgrade_database(engine)
    lines = [f"Database: {engine.url.render_as_string(hide_password=True)}"]
    with session_scope(engine) as session:
        empty = not session.scalar(select(func.count(Application.id)))
    if empty:
        from data.demo import generate_demo

        count = demo_applications or int(os.environ.get("KTK_DEMO_APPLICATIONS", "3000"))
        summary = generate_demo(engine, applications=count)
        lines.append(f"Demo data loaded: {count} applications in {summary.seconds:.1f} s")
    password = os.environ.get("KTK_DEMO_PASSWORD", DEMO_PASSWORD)
    with session_scope(engine) as session:
        demo_hash = None
        for user in session.scalars(select(User).where(User.password_hash.is_(None))):
            demo_hash = demo_hash or hash_password(password)  # one hash (one salt) for all demo users
            user.password_hash = demo_hash
        users = session.execute(select(User.username, User.role).where(User.is_active.is_(True))
                                .order_by(User.role, User.username)).all()
    if users:
        lines.append(f"Demo sign-ins (password for all: {password}):")
        lines.extend(f"  {username:<24} {role}" for username, role in users)
    return lines
