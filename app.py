"""The KTK deadline and application tracker: Dash app, Flask server, CLI.

``flask --app app ...`` finds the Flask server as ``app``; ``python app.py`` runs the embedded
default (SQLite under instance/, demo data when empty, the scheduler in this process).
"""
from __future__ import annotations

import os
import dash
import dash_bootstrap_components as dbc
from dash import Dash, dcc, html
from flask import Flask

import callbacks
import cli
import routes
from callbacks.context import current_lang, current_user
from callbacks.ids import Shell
from callbacks.notifications import bell as notification_bell
from data.access import can
from data.config import INSTANCE_DIR, check_production_settings, is_production, proxy_hops, secret_key
from data.logging_setup import configure_logging, install_request_ids
from data.i18n import t

configure_logging()
check_production_settings()  # KTK_ENV=production: refuse a default secret key, a non-PostgreSQL database
server = Flask(__name__, instance_path=str(INSTANCE_DIR), template_folder="templates")
server.config["SECRET_KEY"] = secret_key()
if is_production():  # HTTPS ends at the load balancer: cookies only over HTTPS
    server.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
if proxy_hops():  # the client address and scheme as the load balancer saw them
    from werkzeug.middleware.proxy_fix import ProxyFix

    server.wsgi_app = ProxyFix(server.wsgi_app, x_for=proxy_hops(), x_proto=proxy_hops())
install_request_ids(server)

dash_app = Dash(
    __name__,
    server=server,
    use_pages=True,
    pages_folder="pages",
    suppress_callback_exceptions=True,
    serve_locally=True,
    title="ҚТК",
    update_title=None,
)

callbacks.register_all()


def nav_links(lang: str) -> list:
    """The pages this user may open, in registry order (a page names its permission); the
    administration pages (``nav_group="admin"``) gather in one menu so the bar fits one line."""
    user = current_user()
    pages = [page for page in dash.page_registry.values()
             if page.get("nav", True) and not page.get("path_template")
             and (page.get("permission") is None or can(user, page["permission"]))]
    links = [dbc.NavItem(dbc.NavLink(t(f"nav.{page['name']}", lang), href=page["relative_path"], active="exact"))
             for page in pages if page.get("nav_group") != "admin"]
    admin = [dbc.DropdownMenuItem(t(f"nav.{page['name']}", lang), href=page["relative_path"])
             for page in pages if page.get("nav_group") == "admin"]
    if admin:
        links.append(dbc.DropdownMenu(admin, label=t("nav.admin", lang), nav=True, in_navbar=True,
                                      id=Shell.ADMIN_MENU))
    return links


def short_name(full_name: str) -> str:
    """``Сәрсенбаева Камила Нұрлановна`` → ``Сәрсенбаева К. Н.`` (the navbar's width is shared)."""
    parts = full_name.split()
    if len(parts) < 2:
        return full_name
    return " ".join([parts[0], *(f"{part[0]}." for part in parts[1:3])])


def shell_layout():
    lang = current_lang()
    other = "ru" if lang == "kk" else "kk"
    user = current_user()
    role = t("role." + user.role, lang) if user else ""
    navbar = dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(t("app.brand", lang), href="/"),
                dbc.Nav(nav_links(lang), id=Shell.NAV, navbar=True, className="me-auto"),
                notification_bell(user, lang),
                html.Span(short_name(user.full_name) if user else "", className="navbar-text me-3 shell-user",
                          title=f"{user.full_name} · {role}" if user else None,
                          **{"data-full-name": user.full_name if user else ""}),
                html.A(t(f"lang.{other}", lang), href=f"/lang/{other}", className="btn btn-sm btn-outline-light me-2",
                       id=Shell.LANG),
                html.A(t("nav.logout", lang), href="/logout", className="btn btn-sm btn-light"),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="shell-nav",
    )
    return html.Div([dcc.Location(id=Shell.URL), navbar, dash.page_container], lang=lang)


dash_app.layout = shell_layout


def _guard_page(page: dict) -> None:
    """A page's layout renders only for users holding its permission (callbacks check again)."""
    permission = page.get("permission")
    inner = page["layout"]
    if permission is None or not callable(inner):
        return

    def guarded(**kwargs):
        if not can(current_user(), permission):
            lang = current_lang()
            return dbc.Container(dbc.Alert(t("error.forbidden_page", lang), color="warning", className="mt-4"),
                                 className="page")
        return inner(**kwargs)

    page["layout"] = guarded


for _page in dash.page_registry.values():
    _guard_page(_page)


routes.register_all(server)
cli.register(server)
app = server


def main() -> None:
    from data.bootstrap import prepare_embedded
    from jobs.runner import start_scheduler

    for line in prepare_embedded():
        print(line, flush=True)
    scheduler = start_scheduler()
    try:
        dash_app.run(host=os.environ.get("KTK_HOST", "127.0.0.1"), port=int(os.environ.get("KTK_PORT", "8050")),
                     debug=False)
    finally:
        scheduler.shutdown(wait=False)


if __name__ == "__main__":
    main()
