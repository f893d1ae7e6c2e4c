"""/healthz for the load balancer: the process answers and the database does."""
from __future__ import annotations

from flask import Flask, jsonify
from sqlalchemy import text

from data.db import get_engine


def healthz():
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok"})


def register(server: Flask) -> None:
    server.add_url_rule("/healthz", "healthz", healthz)
