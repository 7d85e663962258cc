"""The counsellors' pages: log in, choose a counter of one's own agency, and work it (every counter action).

Sessions live in the server's memory (a restart logs everybody out, which is fine for a desk); their cookie is
Secure, HttpOnly and SameSite=Strict, and every form carries the session's CSRF token as well. Each action goes
to the core as a CounterCommand naming the counter and the account, so the event log records both.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_datetime
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

import queue_protocol as p

from . import sse
from .context import Web, client_address
from .desk_view import HANDOVERS, DeskView, desk_view
from .feed import COMMAND_EXPIRY_S
from .security import Session, csrf_ok
from .texts import DESK_LANGUAGES, N_, translator

SESSION_COOKIE = "arkaden_desk"
PRE_COOKIE = "arkaden_login"     # the login form's CSRF token, before there is a session
LANG_COOKIE = "arkaden_lang"
# longer than the command's deadline (checked by the core) and its expiry at the broker: "no answer" means "not done"
ACTION_TIMEOUT_S = COMMAND_EXPIRY_S + 1
# refusals a counsellor meets, in his words (the core's own sentence is English and for logs)
REFUSALS = {
    "no_current_ticket": N_("Am Platz ist gerade niemand."),
    "wrong_state": N_("Das geht im jetzigen Zustand der Nummer nicht."),
    "closed": N_("Diese Stelle hat heute nicht mehr geöffnet – bitte einen Termin vergeben."),
    "slot_taken": N_("Dieser Termin ist nicht mehr frei."),
    "busy": N_("Erst die aktuelle Nummer abschließen, dann Pause."),
    "same_service": N_("Die Nummer wartet schon bei diesem Anliegen."),
    "missing_field": N_("Bitte Ziel (und beim Termin die Uhrzeit) wählen."),
    "note_not_kept": N_("Notizen werden nicht über Nacht aufbewahrt: bitte ohne Notiz buchen."),
    "storage": N_("Das System konnte nicht speichern; nichts wurde geändert. Bitte gleich noch einmal."),
    "internal": N_("Interner Fehler; nichts wurde geändert. Bitte gleich noch einmal."),
    "expired": N_("Das System hat zu lange gebraucht: nicht ausgeführt. Bitte noch einmal versuchen."),
    "rate_limited": N_("Zu viele Versuche in kurzer Zeit. Bitte einen Moment warten."),
    "unknown_service": N_("Dieses Ziel gibt es nicht (mehr). Bitte die Seite neu laden."),
}
NO_ANSWER = N_("Keine Antwort vom System: nicht ausgeführt. Bitte noch einmal versuchen.")


def _lang(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if not wanted:
        accept = request.headers.get("accept-language", "")
        wanted = next((lang for part in accept.split(",") if (lang := part.split(";")[0].strip()[:2])
                       in DESK_LANGUAGES), None)
    return wanted if wanted in DESK_LANGUAGES else "de"


def _cookie(web: Web, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, secure=web.secure_cookies, samesite="strict",
                        path="/")


def _remember_lang(web: Web, request: Request, response: Response, lang: str) -> Response:
    if request.query_params.get("lang") == lang:
        _cookie(web, response, LANG_COOKIE, lang, max_age=365 * 86400)
    return response


def routes(web: Web) -> list[BaseRoute]:
    now: Callable[[], datetime] = web.clock

    def session_of(request: Request) -> Session | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        session = still_valid(web.sessions.get(cookie, now()))
        if session is None and cookie:
            web.logged_in_as.pop(cookie, None)
            web.flash.pop(cookie, None)
        return session

    def still_valid(session: Session | None) -> Session | None:
        """The session, unless it ended or its account was disabled or given a new password since."""
        if session is None:
            return None
        account = web.accounts.accounts().get(session.account)
        if account is None or account.disabled or web.logged_in_as.get(session.id) != account.password_hash:
            web.sessions.drop_account(session.account)  # disabled, or his password was reset: out at once
            return None
        return session

    def context(request: Request, lang: str, **extra: Any) -> dict[str, Any]:
        return {"_": translator(web.desk_tr, lang), "lang": lang, "dir": "ltr", "site": web.site,
                "languages": DESK_LANGUAGES, "path": request.url.path, **extra}

    # --- log in and out --------------------------------------------------------------------------

    def login_page(request: Request, lang: str, status: int = 200, error: str = "") -> Response:
        """The login form with a fresh CSRF token (in a cookie and in the form: they must match)."""
        token = secrets.token_urlsafe(24)
        response = web.page("login.html", status=status, **context(request, lang, csrf=token, error=error))
        _cookie(web, response, PRE_COOKIE, token, max_age=3600)
        return response

    async def login_form(request: Request) -> Response:
        lang = _lang(request)
        return _remember_lang(web, request, login_page(request, lang), lang)

    async def login(request: Request) -> Response:
        lang = _lang(request)
        form = await request.form()
        name = str(form.get("name", "")).strip().lower()[:40]
        password = str(form.get("password", ""))[:129]  # longer than any allowed password: refused, not cut
        pre = request.cookies.get(PRE_COOKIE)
        if not pre or not secrets.compare_digest(pre, str(form.get("csrf", ""))):
            return PlainTextResponse("CSRF check failed: reload the login page.", status_code=403)
        _ = translator(web.desk_tr, lang)
        address = client_address(request)
        # argon2 costs 64 MiB and tens of ms a check: a few at once, and the limit is looked at again after the
        # wait, so a burst of parallel guesses is counted one by one instead of all slipping past the check
        async with web.password_checks:
            if web.guard.blocked(name, address, now()):
                return login_page(request, lang, 429, _("Zu viele Fehlversuche. Bitte in 15 Minuten noch einmal."))
            account = await run_in_threadpool(web.accounts.verify, name, password)  # keep the loop free
            if account is None:
                web.guard.failed(name, address, now())
        if account is None:
            return login_page(request, lang, 401, _("Name oder Passwort stimmt nicht."))
        web.guard.succeeded(name, address)
        session = web.sessions.create(account.name, now())
        web.forget_ended_sessions()
        current = web.accounts.accounts().get(account.name)  # as stored now (verify may have re-hashed it)
        web.logged_in_as[session.id] = current.password_hash if current else account.password_hash
        done = RedirectResponse("/desk", status_code=303)
        _cookie(web, done, SESSION_COOKIE, session.id)
        done.delete_cookie(PRE_COOKIE, path="/")
        return done

    async def logout(request: Request) -> Response:
        session = session_of(request)
        form = await request.form()
        if session is not None and not csrf_ok(session, str(form.get("csrf", ""))):
            return RedirectResponse("/desk", status_code=303)  # a forged logout changes nothing
        if session is not None:
            web.sessions.drop(session.id)
            web.logged_in_as.pop(session.id, None)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # --- the counters ----------------------------------------------------------------------------

    def own_counters(session: Session) -> list[str]:
        agency = web.accounts.accounts()[session.account].agency
        return [c.id for c in web.site.counters if web.site.agency_of_counter(c.id).id == agency]

    async def counters(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return RedirectResponse("/login", status_code=303)
        lang = _lang(request)
        mine = [web.site.counter(c) for c in own_counters(session)]
        if len(mine) == 1:
            return RedirectResponse(f"/desk/{mine[0].id}", status_code=303)
        response = web.page("counters.html", **context(
            request, lang, session=session, counters=mine, rooms={c.id: web.site.room(c.room).number for c in mine},
            agency=web.site.agency(web.accounts.accounts()[session.account].agency).name))
        return _remember_lang(web, request, response, lang)

    def allowed(request: Request) -> tuple[Session, str] | Response:
        session = session_of(request)
        if session is None:
            return RedirectResponse("/login", status_code=303)
        counter = request.path_params["counter"]
        if counter not in own_counters(session):
            return PlainTextResponse("This counter belongs to another agency.", status_code=403)
        return session, counter

    def view_of(counter: str, lang: str, journey: p.TicketInfo | None) -> DeskView:
        return desk_view(web.site, web.feed.snapshot, counter, lang=lang, now=now(), journey=journey,
                         connected=web.feed.connected)

    def fragments(view: DeskView, lang: str, session: Session) -> dict[str, str]:
        """The parts of the page the live stream replaces, drawn from one view."""
        ctx = {"_": translator(web.desk_tr, lang), "lang": lang, "view": view, "csrf": session.csrf}
        return {"desk-status": web.render("desk_status.html", **ctx),
                "desk-current": web.render("desk_current.html", **ctx),
                "desk-actions": web.render("desk_actions.html", **ctx),
                "desk-waiting": web.render("desk_waiting.html", **ctx)}

    async def desk(request: Request) -> Response:
        checked = allowed(request)
        if isinstance(checked, Response):
            return checked
        session, counter = checked
        lang = _lang(request)
        watch = web.desks.counters.get(counter)
        view = view_of(counter, lang, watch.journey if watch else None)
        response = web.page("desk.html", **context(
            request, lang, session=session, view=view, csrf=session.csrf, message=web.flash.pop(session.id, ""),
            parts=fragments(view, lang, session), handovers=HANDOVERS))
        return _remember_lang(web, request, response, lang)

    async def desk_events(request: Request) -> Response:
        checked = allowed(request)
        if isinstance(checked, RedirectResponse):  # logged out (expired, or the server restarted): say so
            return sse.once(sse.message("logout", {"to": "/login"}))
        if isinstance(checked, Response):
            return checked
        session, counter = checked
        lang = _lang(request)

        def render(counter_id: str, journey: p.TicketInfo | None) -> str:
            if still_valid(web.sessions.peek(session.id, now())) is None:  # logged out, disabled, reset: no more
                return sse.message("logout", {"to": "/login"})
            return sse.message("desk", {"html": fragments(view_of(counter_id, lang, journey), lang, session)})

        watch, sub = web.desks.join(counter, render)
        return sse.stream(sub.queue, render(counter, watch.journey), lambda: web.desks.leave(watch, sub))

    async def act(request: Request) -> Response:
        checked = allowed(request)
        if isinstance(checked, Response):
            return checked if not isinstance(checked, RedirectResponse) else PlainTextResponse(
                "Not logged in.", status_code=401)
        session, counter = checked
        form = await request.form()
        if not csrf_ok(session, request.headers.get("x-csrf-token") or str(form.get("csrf", ""))):
            return PlainTextResponse("CSRF check failed: reload the page.", status_code=403)
        _ = translator(web.desk_tr, _lang(request))
        fields = {k: str(v) for k, v in form.items() if k in ("action", "to_service", "note", "slot") and str(v)}
        if fields.get("action") not in HANDOVERS:
            fields.pop("to_service", None)
            fields.pop("slot", None)
        deadline = now() + timedelta(seconds=COMMAND_EXPIRY_S)  # the core refuses it later: "not done" stays true
        try:
            command = p.CounterCommand.model_validate({"id": web.feed.new_id(), "operator": session.account,
                                                       "deadline": deadline, **fields})
        except ValidationError as exc:
            field = ".".join(str(x) for x in exc.errors()[0]["loc"]) or "?"
            return JSONResponse({"ok": False, "message": _("Eingabe ungültig: {what}", what=field)}, status_code=400)
        if not web.feed.connected or not web.feed.snapshot.core_online:  # never queue what will be "not done"
            reply = None
        else:
            reply = await web.feed.ask(web.feed.topics.counter_cmd(counter), command, p.CommandResult,
                                       timeout=ACTION_TIMEOUT_S, expiry_s=COMMAND_EXPIRY_S)
        if reply is None:
            body = {"ok": False, "message": _(NO_ANSWER)}
        elif reply.ok and command.action in ("next", "recall"):
            body = {"ok": True, "message": _("Niemand wartet.") if reply.number is None
                    else _("Aufgerufen: {number}", number=reply.number), "number": reply.number}
        elif reply.ok:
            body = {"ok": True, "message": _("Erledigt.") if reply.number is None
                    else _("Erledigt. Am Platz: {number}", number=reply.number), "number": reply.number}
        else:
            code = reply.error.code if reply.error else "internal"
            body = {"ok": False, "code": code, "message": _(REFUSALS[code]) if code in REFUSALS
                    else (reply.error.message if reply.error else _(NO_ANSWER))}
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse(body)
        web.flash[session.id] = str(body["message"])  # without script: back to the page, which says what happened
        return RedirectResponse(f"/desk/{counter}", status_code=303)

    async def slots(request: Request) -> Response:
        checked = allowed(request)
        if isinstance(checked, Response):
            return checked
        service = request.query_params.get("service", "")
        try:
            command = p.DeskLookup(id=web.feed.new_id(), free_slots=service)
        except ValidationError:
            return JSONResponse({"ok": False, "slots": []}, status_code=400)
        reply = await web.feed.ask(web.feed.topics.desk_lookup(web.feed.device_id), command, p.DeskReply)
        if reply is None or not reply.ok:
            return JSONResponse({"ok": False, "slots": []}, status_code=502 if reply is None else 400)
        tz, lang = web.site.tz, _lang(request)
        return JSONResponse({"ok": True, "slots": [  # "Do., 03.12. 10:30" in the page's language (Babel)
            {"value": s.isoformat(), "label": format_datetime(s.astimezone(tz), "EEE, dd.MM. HH:mm", locale=lang)}
            for s in reply.slots]})

    return [
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/desk", counters, methods=["GET"]),
        Route("/desk/{counter}", desk, methods=["GET"]),
        Route("/desk/{counter}/events", desk_events, methods=["GET"]),
        Route("/desk/{counter}/act", act, methods=["POST"]),
        Route("/desk/{counter}/slots", slots, methods=["GET"]),
    ]
