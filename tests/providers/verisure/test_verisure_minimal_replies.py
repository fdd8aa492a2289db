"""Verisure ws.do parsers against minimal replies: exactly the fields shared/protocols/verisure.md shows."""

from __future__ import annotations

import pytest

from alarmtui.domain import Capability, PartitionState, ZoneKind
from alarmtui.providers.errors import ProtocolError
from alarmtui.providers.verisure import mapping
from alarmtui.providers.verisure.parse import (
    parse_activity,
    parse_installations,
    parse_login,
    parse_my_installation,
    parse_reply,
    parse_srv,
    parse_status,
)


def test_unknown_xml_encoding_is_a_protocol_error() -> None:
    # Issue 8 defect 1: LookupError escaped and stopped polling for good.
    with pytest.raises(ProtocolError):
        parse_reply(b"<?xml version='1.0' encoding='YR'?><PET><RES>OK</RES></PET>", "ACT_V2")


def test_minimal_login_and_wait() -> None:
    assert parse_login(parse_reply("<PET><RES>OK</RES><HASH>12345678901</HASH></PET>", "LOGIN")) == "12345678901"
    wait = parse_reply("<PET><RES>WAIT</RES><MSG>Petición en proceso</MSG></PET>", "ARM2")
    assert wait.waiting and wait.err == ""
    bare_error = parse_reply("<PET><RES>ERROR</RES></PET>", "LOGIN")  # pysecuritas' "login failed"
    assert bare_error.error and bare_error.msg == ""


def test_minimal_status_and_ok_without_status() -> None:
    done = parse_status(parse_reply("<PET><RES>OK</RES><STATUS>4</STATUS><MSG>x</MSG><NUMINST>1</NUMINST></PET>", "ARM2"))
    assert done.code == "4" and mapping.status_state("4")[0] is PartitionState.ARMED_AWAY
    # OK without STATUS parses to an empty code: the provider must not take it as a confirmation.
    assert parse_status(parse_reply("<PET><RES>OK</RES></PET>", "ARM2")).code == ""
    assert mapping.status_state("Z")[0] is PartitionState.UNKNOWN


def test_minimal_ins_srv_myinstallation() -> None:
    ins = parse_installations(
        parse_reply("<PET><RES>OK</RES><INSTALATIONS><INSTALATION><NUMINST>2423443</NUMINST><PANEL>SDVFAST</PANEL>"
                    "<ALIAS>Casa</ALIAS></INSTALATION></INSTALATIONS></PET>", "INS")  # fmt: skip
    )
    assert [(i.numinst, i.panel, i.alias) for i in ins] == [("2423443", "SDVFAST", "Casa")]
    srv = parse_srv(parse_reply("<PET><RES>OK</RES><INSTALATION><NUMINST>1</NUMINST><INSTIBS>99</INSTIBS></INSTALATION></PET>", "SRV"))
    assert srv.instibs == "99" and srv.alias == ""
    details = parse_my_installation(
        parse_reply("<PET><RES>OK</RES><INSTALLATION alias=' '><DEVICES>"
                    "<DEVICE idDev='1' code='0' alias='Entrada' type='YR' aliasType='Foto detector'/>"
                    "</DEVICES></INSTALLATION></PET>", "MYINSTALLATION")  # fmt: skip
    )
    assert details.devices[0].photo_capable and mapping.zone_kind(details.devices[0]) is ZoneKind.CAMERA


def test_minimal_activity_folds_and_offline() -> None:
    records = parse_activity(
        parse_reply("<PET><RES>OK</RES><LIST>"
                    "<REG type='501' alias='Fallo de comunicación' time='261127100500' idsignal='3'/>"
                    "<REG type='31' alias='Conectada' time='261127100000' idsignal='2'/>"
                    "</LIST></PET>", "ACT_V2")  # fmt: skip
    )
    assert mapping.current_code(records, None) == "1"
    assert mapping.offline_since(records) is not None  # noticed from the cheap read, within one poll
    unavailable = mapping.unavailable_modes("1")
    assert "disarm first" in unavailable[Capability.ARM_HOME] and Capability.ARM_PERIMETER not in unavailable
    assert mapping.unavailable_modes("0") == {}


def test_known_messages_are_translated_keeping_the_vendor_words() -> None:
    english, vendor = mapping.translate(
        "No ha sido posible activar este modo porque tienes otro activado. Por favor, desconecta tu Alarma y repite la operación."
    )
    assert english.startswith("Verisure cannot switch arm modes") and vendor.startswith("No ha sido posible")
    assert mapping.translate("Algo nuevo") == ("Algo nuevo", "")
    assert mapping.open_zones_in("No ha sido posible conectar tu Alarma: hay zonas abiertas (Puerta, Ventana).") == (
        "Puerta",
        "Ventana",
    )
