"""Reception's words (German msgids, translated in display_app/locale/<lang>/LC_MESSAGES/reception.po)."""

from __future__ import annotations

from pathlib import Path

from host_support.package_data import package_path

DOMAIN = "reception"
LANGUAGES = ("de", "en")   # reception is used by the centre's staff: German, English


def locale_dir() -> Path:
    """The catalogues, package data read in place (Babel opens them by path)."""
    return package_path("display_app", "locale")


def N_(msgid: str) -> str:
    """Marks a msgid for `pybabel extract -k N_` without translating it."""
    return msgid


class Texts:
    """One language's reception texts: ``t(msgid, **fields)`` translates, then fills the fields in."""

    def __init__(self, lang: str = "de"):
        if lang not in LANGUAGES:
            raise ValueError(f"reception speaks {', '.join(LANGUAGES)}, not {lang!r}")
        self.lang = lang
        from ui_common.i18n import Translations  # Babel: only when reception runs (`arkaden --help` needs none)

        self._tr = Translations(locale_dir(), DOMAIN)
        self._tr.catalogue(lang)   # a missing or broken catalogue fails here, at start, not mid-morning

    def __call__(self, msgid: str, **fields: object) -> str:
        text = self._tr.gettext(self.lang, msgid)
        return text.format(**fields) if fields else text


# --- the frame -----------------------------------------------------------------------------------
TITLE = N_("Empfang · {site} · {operator}")
CONNECTED = N_("verbunden mit der Zentrale")
NO_CONNECTION = N_("KEINE VERBINDUNG zur Zentrale – wird wiederhergestellt")
ALERTS = N_("Meldungen ({count})")
NO_ALERTS = N_("Keine Meldungen – alles in Ordnung")
DEVICES_OK = N_("Geräte: {ok} von {total} in Ordnung")
COUNTERS = N_("Schalter")
WAITING_BY_AGENCY = N_("Wartende je Stelle (Filter)")
AGENCY = N_("Stelle")
WAITING = N_("wartend")
LONGEST = N_("längste")
ALL_AGENCIES = N_("Alle Stellen")
TICKETS = N_("Offene Tickets: {shown} von {total} (antippen zum Auswählen)")
TICKETS_FILTERED = N_("Offene Tickets bei {agency}: {shown} von {total} (antippen zum Auswählen)")
MORE_TICKETS = N_("{count} weitere offene Tickets sind nicht in der Liste")
NUMBER = N_("Nummer")
STATUS = N_("Status")
PRIORITY = N_("Vorrang")
WAITED = N_("Wartet")
LANGUAGE = N_("Sprache")
MINUTES = N_("{minutes} min")
NOTE = N_("Notiz: {note}")
# the clients' languages by their German names (ui_common.languages), for the English monitor
LANGUAGE_NAMES = [N_("Deutsch"), N_("Englisch"), N_("Arabisch"), N_("Farsi/Dari"), N_("Paschtu"), N_("Ukrainisch"),
                  N_("Russisch"), N_("Türkisch"), N_("Kurmandschi (Kurdisch)"), N_("Rumänisch"), N_("Französisch"),
                  N_("Tigrinya")]

# --- counters ------------------------------------------------------------------------------------
ROOM = N_("Raum {room}")
SERVING_SINCE = N_("{number} seit {minutes} min")
FREE = N_("kein Kunde")

# --- statuses (tickets and counters) -------------------------------------------------------------
STATUSES = {
    "waiting": N_("wartet"), "called": N_("aufgerufen"), "serving": N_("im Gespräch"), "parked": N_("geparkt"),
    "no_show": N_("nicht erschienen"), "open": N_("offen"), "paused": N_("Pause"), "closed": N_("geschlossen"),
}
UNKNOWN_STATUS = N_("unbekannt")

# --- what a client needs -------------------------------------------------------------------------
SEE_RECEPTION = N_("zum Empfang (verspätet)")
MISSED = N_("{count} Termin(e) verpasst")
INTERPRETER = N_("Dolmetsch")
STEP_FREE = N_("stufenlos")
PARTY = N_("{count} Personen")
BOOKED = N_("Termin")
STOPS_AHEAD = N_("noch {count} Station(en)")

# --- devices -------------------------------------------------------------------------------------
KINDS = {"core": N_("Zentrale"), "kiosk": N_("Kiosk"), "printer": N_("Drucker"), "display": N_("Anzeige"),
         "button_box": N_("Tastenbox"), "reception": N_("Empfang"), "web": N_("Webserver")}
DEVICE = N_("{kind} {device}")
BOX_AT = N_("Tastenbox an {agency} · {counter}")
PAPER = {"ok": N_("Papier ok"), "low": N_("Papier geht zur Neige"), "out": N_("Papier leer"),
         "unknown": N_("Papierstand unbekannt")}

# --- alerts: what is wrong – what to do ----------------------------------------------------------
TARGET_MISSED = N_("{service}: Wartezeitziel {target} min überschritten (längste Wartezeit {longest} min, "
                   "geschätzt {estimate} min) – Schalter öffnen oder Kunden verschieben")
TARGET_FORECAST = N_("{service}: Wartezeitziel {target} min wird überschritten (geschätzt {estimate} min) – "
                     "Schalter öffnen oder Kunden verschieben")
OFFLINE = N_("{device}: offline – Strom und Netzwerkkabel prüfen, Gerät neu starten")
NOT_PLUGGED = N_("{device}: nicht eingesteckt – USB-Kabel am Schalter-PC prüfen")
PAPER_OUT = N_("{device}: Papier leer – neue Rolle einlegen")
PAPER_LOW = N_("{device}: Papier geht zur Neige – neue Rolle bereitlegen")
PAPER_UNKNOWN = N_("{device}: Papierstand unbekannt – Drucker ansehen")
COVER_OPEN = N_("{device}: Deckel offen – Deckel schließen")
NO_ANSWER = N_("{device}: antwortet nicht – Drucker einschalten, Kabel prüfen")
PRINTER_OFFLINE = N_("{device}: offline – Drucker einschalten, Kabel prüfen")
PRINTER_ERROR = N_("{device}: meldet „{error}“ – Drucker ansehen")
KIOSK_SILENT = N_("{device}: der Kiosk meldet sich nicht – Kiosk einschalten, Netzwerk prüfen")
OFFLINE_REFUSED = N_("{device}: {count} Offline-Ticket(s) von der Zentrale abgelehnt – diese Kunden am Empfang "
                     "neu einchecken")
LATE = N_("{number}: zu spät zum Termin, an den Empfang geschickt – mit „Zurückholen“ wieder einreihen")
JOURNEY_MISSED = N_("{number}: {count} Termin(e) der Reise verpasst, weiter bei {service} – neuen Termin anbieten")
REFUSED = N_("{time} Befehl abgelehnt: {reason}")

# --- why the core refused (by the protocol's error code) ------------------------------------------
REASONS = {
    "unknown_ticket": N_("dieses Ticket gibt es heute nicht"),
    "wrong_state": N_("das Ticket ist gerade nicht in einem Zustand, der das erlaubt"),
    "missing_field": N_("es fehlt eine Angabe"),
    "same_service": N_("das Ticket ist schon bei diesem Dienst"),
    "bad_priority": N_("der Vorrang muss 0 bis 9 sein"),
    "unknown_service": N_("diesen Dienst gibt es nicht"),
    "unknown_counter": N_("diesen Schalter gibt es nicht"),
    "no_current_ticket": N_("am Schalter ist gerade kein Kunde"),
    "busy": N_("erst den Kunden am Schalter abschließen"),
    "closed": N_("die Stelle ist jetzt geschlossen"),
    "expired": N_("der Befehl kam zu spät an; nichts geändert"),
    "storage": N_("die Zentrale konnte nicht speichern; nichts geändert"),
    "internal": N_("Fehler in der Zentrale; nichts geändert"),
}
OTHER_REASON = N_("die Zentrale hat abgelehnt (Fehlercode {code})")

# --- the action panel ----------------------------------------------------------------------------
NONE_SELECTED = N_("Kein Ticket ausgewählt – in der Liste antippen")
SELECTED = N_("Ticket {number} · {status} · {service}")
CHOOSE_SERVICE = N_("Zieldienst wählen …")
CHOOSE_PRIORITY = N_("Vorrang wählen …")
PRIORITY_VALUE = N_("Vorrang {priority}")
REASON_HINT = N_("Grund, z. B. Kleinkind, Behinderung")
ACTIONS = {"move": N_("Verschieben"), "priority": N_("Vorrang setzen"), "cancel": N_("Stornieren"),
           "return": N_("Zurückholen")}
SENT = N_("{action} {number}: gesendet …")
DONE = N_("{action} {number}: erledigt")
NO_REPLY = N_("{action} {number}: keine Antwort der Zentrale (Verbindung?)")
REFUSED_REPLY = N_("{action} {number}: abgelehnt – {reason}")
NOTHING_SELECTED = N_("kein Ticket ausgewählt")
SERVICE_MISSING = N_("erst den Zieldienst wählen")
PRIORITY_MISSING = N_("erst den Vorrang wählen")
INVALID = N_("ungültige Eingabe: {what}")
LOG = N_("Protokoll")
LOG_EMPTY = N_("Noch keine Aktionen des Empfangs heute")

# --- the log, in words ---------------------------------------------------------------------------
LOG_MOVED = N_("{time}  {who}: {number} an {service} übergeben")
LOG_PRIORITY = N_("{time}  {who}: Vorrang von {number} auf {priority} gesetzt")
LOG_CANCELLED = N_("{time}  {who}: {number} storniert")
LOG_RETURNED = N_("{time}  {who}: {number} wieder eingereiht")
LOG_OTHER = N_("{time}  {who}: {number} geändert")
SOME_TICKET = N_("ein Ticket")
