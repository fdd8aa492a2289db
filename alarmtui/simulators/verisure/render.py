"""What the ws.do service says: its XML envelope, localised messages, error codes and activity rows.

Codes and texts from `shared/protocols/verisure.md` Appendix A; SYNTHETIC marks codes with no known real value.
"""

from __future__ import annotations

import time
from xml.sax.saxutils import escape, quoteattr

from alarmtui.simulators.panel import SimEvent, SimPanel

ERR_INVALID_SESSION = "60022"
ERR_IDENTIFY = "60067"
ERR_UNAVAILABLE = "3000"
ERR_OLD_APP = "60060"
ERR_MIGRATED = "60161"
# SYNTHETIC codes: the real service's codes for these situations are unknown.
ERR_BUSY = "10001"
ERR_CONFLICT = "10002"
ERR_NOT_READY = "10003"
ERR_OFFLINE = "10004"
ERR_FAILED = "10005"
ERR_NO_REQUEST = "10006"
ERR_BAD_REQUEST = "10007"
ERR_LOGIN = ""  # a wrong password is RES=ERROR with only a MSG

TWO_STEP_OPS = ("EST", "ARM", "ARMDAY", "ARMNIGHT", "PERI", "DARM", "ARMANNEX", "DARMANNEX", "IMG")

MESSAGES: dict[str, dict[str, str]] = {
    "es": {
        "bloq": "Estamos mejorando nuestros servicios. Por favor intentelo de nuevo mas tarde. Gracias por confiar en Securitas Direct",
        "login_ok": "Usuario validado correctamente",
        "login_bad": "Usuario o contraseña incorrectos",
        "sent": "Su solicitud ha sido enviada",
        "wait": "Petición en proceso",
        "processed": "Petición procesada correctamente",
        "logout": "Mensaje de cierre de session",
        "invalid_session": "Invalid session. Please, try again later.",
        "identify": "Hemos tenido problemas para identificarle, por favor, cierre la sesión y vuelva a iniciarla.",
        "unavailable": "The system is temporarily unavailable.",
        "old_app": "No hemos podido atender tu solicitud. Asegúrate de tener la última actualización de la app My Verisure. Si la incidencia persiste, por favor, contacta con nuestro servicio de Atención al cliente.",
        "migrated": "Ahora mismo solo tienes acceso a la nueva versión de My Verisure, haz clic en aceptar para acceder a la nueva versión.",
        "busy": "Tu Alarma está gestionando una solicitud anterior. Por favor, espera 90 segundos antes de realizar otra petición (5 min si es una petición de imagen).",
        "conflict": "No ha sido posible activar este modo porque tienes otro activado. Por favor, desconecta tu Alarma y repite la operación.",
        "not_ready": "No ha sido posible conectar tu Alarma: hay zonas abiertas ({zones}).",
        "offline": "Lo sentimos. No se ha podido realizar la acción solicitada.",
        "failed": "Ha ocurrido un problema, reintente la acción o póngase en contacto con nosotros.",
        "no_request": "No existe ninguna petición en curso con ese identificador.",
        "bad_request": "Petición no válida.",
        "photo_taken": "La secuencia de imágenes ha sido tomada. En unos minutos podrás visualizarlas desde tu web de cliente, en tu correo electrónico o en la aplicación My Verisure.",
        "disarmed_now": "Tu Alarma ha sido desconectada",
        "annex_on": "Tu Alarma del anexo está conectada",
        "annex_off": "Tu Alarma del anexo ha sido desconectada",
        "0": "Tu Alarma está desconectada",
        "1": "Tu Alarma está conectada en modo Total",
        "P": "Tu Alarma está conectada en modo Parcial día",
        "Q": "Tu Alarma está conectada en modo Parcial noche",
        "3": "Tu Alarma está conectada en el exterior",
        "4": "Tu Alarma está conectada en modo Total y en el exterior",
        "B": "Tu Alarma está conectada en modo Parcial día y en el exterior",
        "C": "Tu Alarma está conectada en modo Parcial noche y en el exterior",
    },
    "en": {
        "bloq": "We have a problem right now, try later",
        "login_ok": "User successfully validated",
        "login_bad": "Wrong user or password",
        "sent": "Your request has been sent",
        "wait": "Request in progress",
        "processed": "Request processed successfully",
        "logout": "Session closed",
        "invalid_session": "Invalid session. Please, try again later.",
        "identify": "We had problems identifying you, please log out and log in again.",
        "unavailable": "The system is temporarily unavailable.",
        "old_app": "We could not process your request. Make sure you have the latest version of the My Verisure app. If the problem persists, please contact customer service.",
        "migrated": "You now only have access to the new version of My Verisure, click accept to go to the new version.",
        "busy": "Your Alarm is handling a previous request. Please wait 90 seconds before making another request (5 min for an image request).",
        "conflict": "This mode could not be activated because another one is active. Please disarm your Alarm and repeat the operation.",
        "not_ready": "Your Alarm could not be armed: zones are open ({zones}).",
        "offline": "Sorry. The requested action could not be carried out.",
        "failed": "There was a problem, retry the action or contact us.",
        "no_request": "There is no request in progress with that identifier.",
        "bad_request": "Invalid request.",
        "photo_taken": "The image sequence has been taken. In a few minutes you will be able to see it on your customer web, in your email or in the My Verisure app.",
        "disarmed_now": "Your Alarm has been deactivated",
        "annex_on": "Your Annex Alarm is activated",
        "annex_off": "Your Annex Alarm has been deactivated",
        "0": "Your Alarm is deactivated",
        "1": "Your Alarm is activated in Total mode",
        "P": "Your Alarm is activated in Partial day mode",
        "Q": "Your Alarm is activated in Partial night mode",
        "3": "Your Alarm is activated on the perimeter",
        "4": "Your Alarm is activated in Total mode and on the perimeter",
        "B": "Your Alarm is activated in Partial day mode and on the perimeter",
        "C": "Your Alarm is activated in Partial night mode and on the perimeter",
    },
}

# ACT_V2 REG type codes and their aliases (the old web UI's activity labels).
REG_ALIAS = {
    "es": {
        "31": "Conectado",
        "202": "Armado día",
        "46": "Armado noche",
        "40": "Conexión modo exterior",
        "32": "Desconectado",
        "13": "Alarma",
        "24": "Sabotaje/manipulación",
        "241": "Sabotaje",
        "25": "Corte de corriente",
        "26": "Restablecimiento de corriente",
        "16": "Petición de foto",
        "27": "Comprobacion de estado",
        "29": "SOS",
        "531": "Error procesando conexión de alarma",
        "324": "Puerta abierta",
        "325": "Puerta cerrada",
        "501": "Fallo de comunicación",
        "3121": "Comunicación restablecida",
        "9100": "Batería baja",
        "9101": "Batería restablecida",
        "9031": "Anexo conectado",
        "9032": "Anexo desconectado",
    },
    "en": {
        "31": "Armed",
        "202": "Armed day",
        "46": "Armed night",
        "40": "Perimeter armed",
        "32": "Disarmed",
        "13": "Alarm",
        "24": "Tampering",
        "241": "Sabotage",
        "25": "Power cut",
        "26": "Power restored",
        "16": "Image request",
        "27": "Alarm Status Request",
        "29": "SOS",
        "531": "Error processing alarm arming",
        "324": "Door opened",
        "325": "Door closed",
        "501": "Communication failure",
        "3121": "Communication restored",
        "9100": "Low battery",
        "9101": "Battery restored",
        "9031": "Annex armed",
        "9032": "Annex disarmed",
    },
}

TIMEFILTER_DAYS = {"1": 1, "2": 7, "3": 30, "4": 90, "5": 365}
"""[infer] timefilter selects a window; larger is longer (segalion PR #14)."""

DEVICE_TYPES = {
    # zone kind -> (type, aliasType es, aliasType en)
    "camera": ("YR", "Foto detector", "Photo detector"),
    "contact": ("MG", "Detector magnético", "Magnetic contact"),
    "motion": ("XP", "Detector de movimiento", "Motion detector"),
    "smoke": ("DH", "Detector de humo", "Smoke detector"),
    "keyfob": ("MD", "Mando", "Remote control"),
}


class VerisureError(Exception):
    def __init__(self, code: str, key: str, **fmt: str) -> None:
        super().__init__(key)
        self.code = code
        self.key = key
        self.fmt = fmt
        self.numinst = ""


def message(lang: str, key: str, **fmt: str) -> str:
    text = MESSAGES[lang].get(key, key)
    return text.format(**fmt) if fmt else text


def envelope(lang: str, res: str, parts: str = "", msg: str | None = None) -> str:
    """`<PET><RES>..</RES>..<BLOQ ..>..</BLOQ></PET>`: every reply's envelope."""
    msg_xml = f"<MSG>{escape(msg)}</MSG>" if msg is not None else ""
    bloq = f'<BLOQ remotereqactive="1" >{escape(MESSAGES[lang]["bloq"])}</BLOQ>'
    return f"<?xml version='1.0' encoding='UTF-8'?>\n<PET><RES>{res}</RES>{msg_xml}{parts}{bloq}</PET>"


def error_envelope(exc: VerisureError, lang: str) -> str:
    err = f"<ERR>{exc.code}</ERR>" if exc.code else ""
    numinst = f"<NUMINST>{escape(exc.numinst)}</NUMINST>" if exc.numinst else ""
    msg = escape(message(lang, exc.key, **exc.fmt))
    bloq = f'<BLOQ remotereqactive="1" >{escape(MESSAGES[lang]["bloq"])}</BLOQ>'
    return f"<?xml version='1.0' encoding='UTF-8'?>\n<PET><RES>ERROR</RES>{err}<MSG>{msg}</MSG>{numinst}{bloq}</PET>"


def reg_type(event: SimEvent, tamper_while_armed: dict[int, bool]) -> str | None:
    """The ACT_V2 REG type of a panel event, or None for events the log does not show."""
    kind = event.kind
    if kind == "arm":
        mode = event.mode or ""
        if mode == "annex":
            return "9031"
        if mode.startswith("away"):
            return "31"
        if mode.startswith("home"):
            return "202"
        if mode.startswith("night"):
            return "46"
        if mode.startswith("perimeter"):
            return "40"
        return "31"
    if kind == "disarm":
        return "9032" if event.mode == "annex" else "32"
    if kind == "alarm":
        return None if event.text.startswith("Panic") else "13"
    if kind == "sos":
        return "29"
    if kind == "photo":
        return "16"
    if kind == "status_check":
        return "27"
    if kind == "power_cut":
        return "25"
    if kind == "power_restore":
        return "26"
    if kind == "arm_failed":
        return "531"
    if kind == "zone_open":
        return "324"
    if kind == "zone_close":
        return "325"
    if kind == "offline":
        return "501"
    if kind == "online":
        return "3121"
    if kind == "trouble":
        if event.text.startswith("Tamper"):
            return "24" if tamper_while_armed.get(event.id) else "241"
        if event.text.startswith("Communication"):
            return "501"
        return "9100"
    if kind == "trouble_restore":
        return "9101"
    return None


def reg_xml(event: SimEvent, reg_type: str, panel: SimPanel, lang: str) -> str:
    alias = REG_ALIAS[lang].get(reg_type, event.text)
    zone = panel.zones.get(event.zone) if event.zone else None
    stamp = time.strftime("%y%m%d%H%M%S", time.localtime(event.time))
    attrs = {
        "type": reg_type,
        "alias": alias,
        "time": stamp,
        "idsignal": str(event.id),
        "signaltype": reg_type,
        "source": event.source or ("Panel" if not event.user else ""),
        "device": zone.name if zone else "",
    }
    if event.user:
        attrs["myverisureUser" if event.source in ("ANDROID", "IPHONE") else "user"] = event.user
    if reg_type == "16":
        attrs["img"] = "1"
    return "<REG " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + "/>"
