"""The ws.do XML parser: real fixtures, xmltodict's single-vs-list trap, hostile and malformed input."""

from __future__ import annotations

import base64
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alarmtui.domain import PartitionState, ZoneKind
from alarmtui.providers.base import ProtocolError, ProviderError
from alarmtui.providers.verisure import status_state, zone_kind
from alarmtui.providers.verisure.parse import (
    parse_activity,
    parse_inf,
    parse_installations,
    parse_login,
    parse_my_installation,
    parse_reply,
    parse_srv,
    parse_status,
)

BLOQ = '<BLOQ remotereqactive="1" >Estamos mejorando nuestros servicios.</BLOQ>'

LOGIN = f"""<?xml version='1.0' encoding='UTF-8'?>
<PET>
  <RES>OK</RES>
  <MSG>Usuario validado correctamente</MSG>
  <LANG>ES</LANG>
  <HASH>11111111111</HASH>
  <MOBILE newversion='0'/>
  {BLOQ}
</PET>"""

EST2 = f"""<?xml version="1.0" encoding="UTF-8"?>
<PET><RES>OK</RES><STATUS>0</STATUS><MSG>Tu Alarma está desconectada</MSG><NUMINST>2423443</NUMINST>{BLOQ}</PET>"""

WAIT = f"""<?xml version="1.0" encoding="UTF-8"?><PET><RES>WAIT</RES><MSG>Petición en proceso</MSG>{BLOQ}</PET>"""

ERROR_60022 = "<PET><RES>ERROR</RES><ERR>60022</ERR><MSG>Invalid session. Please, try again later.</MSG></PET>"

MYINSTALLATION = """<?xml version='1.0' encoding='UTF-8'?>
<PET>
  <RES>OK</RES>
  <MSG>Petición procesada correctamente</MSG>
  <INSTALLATION alias=" ">
    <DEVICES>
      <DEVICE idDev="1" code="0" alias="Entrada" type="YR" aliasType="Foto detector"/>
      <DEVICE idDev="2" code="2" alias="Comedor" type="YR" aliasType="Foto detector"/>
    </DEVICES>
    <CODEWORDS securitas="XXXXX" customer="XXXXX" coercion="XXXXXX"/>
  </INSTALLATION>
</PET>"""


def test_real_fixtures() -> None:
    login = parse_reply(LOGIN, "LOGIN")
    assert login.ok and parse_login(login) == "11111111111"
    assert "BLOQ" not in login.body
    status = parse_status(parse_reply(EST2, "EST2"))
    assert (status.code, status.numinst) == ("0", "2423443")
    assert status.msg == "Tu Alarma está desconectada"
    wait = parse_reply(WAIT, "EST2")
    assert wait.waiting and not wait.err
    err = parse_reply(ERROR_60022, "EST1")
    assert err.error and err.err == "60022" and err.msg.startswith("Invalid session")
    details = parse_my_installation(parse_reply(MYINSTALLATION))
    assert [d.alias for d in details.devices] == ["Entrada", "Comedor"]
    assert all(d.photo_capable for d in details.devices)


def test_single_elements_are_lists() -> None:
    one_reg = parse_reply(
        '<PET><RES>OK</RES><LIST totalreg="1" costtotal="0"><REG type="32" alias="Desconectado" '
        'time="201110190512" idsignal="9" signaltype="32" myverisureUser="ana" source="ANDROID"/></LIST></PET>'
    )
    records = parse_activity(one_reg)
    assert len(records) == 1 and records[0].user == "ana" and records[0].time.year == 2020
    assert parse_activity(parse_reply('<PET><RES>OK</RES><LIST totalreg="0" costtotal="0"/></PET>')) == []
    assert parse_activity(parse_reply("<PET><RES>OK</RES></PET>")) == []
    one_inst = parse_reply(
        "<PET><RES>OK</RES><INSTALATIONS><INSTALATION><NUMINST>1</NUMINST><PANEL>SDVFAST</PANEL>"
        "<ALIAS>Casa</ALIAS></INSTALATION></INSTALATIONS></PET>"
    )
    assert [(i.numinst, i.panel, i.alias) for i in parse_installations(one_inst)] == [("1", "SDVFAST", "Casa")]
    two_inst = parse_reply(
        "<PET><RES>OK</RES><INSTALATIONS><INSTALATION><NUMINST>1</NUMINST></INSTALATION>"
        "<INSTALATION><NUMINST>2</NUMINST></INSTALATION></INSTALATIONS></PET>"
    )
    assert [i.numinst for i in parse_installations(two_inst)] == ["1", "2"]
    one_device = parse_reply(
        '<PET><RES>OK</RES><INSTALLATION alias="x"><DEVICES><DEVICE idDev="3" alias="Puerta" type="MG" '
        'aliasType="Detector magnético"/></DEVICES></INSTALLATION></PET>'
    )
    (device,) = parse_my_installation(one_device).devices
    assert zone_kind(device) is ZoneKind.CONTACT and not device.photo_capable
    srv = parse_srv(parse_reply("<PET><RES>OK</RES><INSTALATION><ALIAS>alias</ALIAS><INSTIBS>77</INSTIBS></INSTALATION></PET>"))
    assert (srv.alias, srv.instibs) == ("alias", "77")


def test_inf_photos() -> None:
    jpeg = b"\xff\xd8\xff\xe0fakejpeg"
    body = base64.b64encode(jpeg).decode()
    reply = parse_reply(
        f'<PET><RES>OK</RES><DEVICES numdevices="1"><DEVICE id="0" code="6" name="Cocina" numimg="3">'
        f'<IMG id="1">{body}</IMG><IMG id="2">{body}</IMG><IMG id="3">{body}</IMG></DEVICE></DEVICES></PET>'
    )
    (photo_set,) = parse_inf(reply)
    assert photo_set.jpegs == (jpeg, jpeg, jpeg) and photo_set.device_name == "Cocina"
    with pytest.raises(ProtocolError, match="base64"):
        parse_inf(parse_reply('<PET><RES>OK</RES><DEVICES><DEVICE><IMG id="1">not base64!</IMG></DEVICE></DEVICES></PET>'))
    not_jpeg = base64.b64encode(b"GIF89a").decode()
    with pytest.raises(ProtocolError, match="JPEG"):
        parse_inf(parse_reply(f'<PET><RES>OK</RES><DEVICES><DEVICE><IMG id="1">{not_jpeg}</IMG></DEVICE></DEVICES></PET>'))


def test_escape_characters_are_refused_or_stripped() -> None:
    with pytest.raises(ProtocolError):
        parse_reply("<PET><RES>OK</RES><MSG>a&#x1b;b</MSG></PET>")
    reply = parse_reply('<PET><RES>OK</RES><MSG>a\u202eb\u200bc</MSG></PET>')
    assert reply.msg == "abc"


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<PET><RES>OK</RES><MSG>&lol9;</MSG></PET>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE PET [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<PET><RES>OK</RES><MSG>&xxe;</MSG></PET>"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE PET SYSTEM "http://127.0.0.1:1/evil.dtd">
<PET><RES>OK</RES></PET>"""

PARAMETER_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE PET [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p.dtd"> %p;]>
<PET><RES>OK</RES></PET>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY],
                         ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity"])
def test_hostile_xml_is_refused(body: str) -> None:
    with pytest.raises(ProtocolError, match="unsafe XML"):
        parse_reply(body)


@pytest.mark.parametrize(
    "body",
    [b"", b"   ", b"<html><body>403</body></html>", b"<PET>", b"<PET><RES>MAYBE</RES></PET>", b"<PET>text</PET>",
     b"\xff\xfe\x00garbage", b"<PET><RES><X/></RES></PET>", b"<?xml version='1.0' encoding='UTF-8'?><PET><RES>OK</RES>"],
)
def test_malformed_replies(body: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_reply(body)


@pytest.mark.parametrize(
    ("code", "state", "detail"),
    [("0", PartitionState.DISARMED, "disarmed"), ("1", PartitionState.ARMED_AWAY, "away"),
     ("A", PartitionState.ARMED_AWAY, "away"), ("T", PartitionState.ARMED_AWAY, "away"),
     ("P", PartitionState.ARMED_HOME, "home"), ("Q", PartitionState.ARMED_NIGHT, "night"),
     ("3", PartitionState.ARMED_CUSTOM_BYPASS, "perimeter"), ("E", PartitionState.ARMED_CUSTOM_BYPASS, "perimeter"),
     ("4", PartitionState.ARMED_AWAY, "away + perimeter"), ("B", PartitionState.ARMED_HOME, "home + perimeter"),
     ("C", PartitionState.ARMED_NIGHT, "night + perimeter"), ("X", PartitionState.UNKNOWN, "unknown status code 'X'"),
     ("", PartitionState.UNKNOWN, "unknown status code ''")],
)
def test_status_codes(code: str, state: PartitionState, detail: str) -> None:
    assert status_state(code) == (state, detail)


# --------------------------------------------------------------------------- property tests

PARSERS = [parse_login, parse_status, parse_activity, parse_installations, parse_srv, parse_my_installation, parse_inf]

names = st.sampled_from(["PET", "RES", "MSG", "ERR", "LIST", "REG", "HASH", "STATUS", "INSTALATIONS", "INSTALATION",
                         "INSTALLATION", "DEVICES", "DEVICE", "IMG", "NUMINST", "ALIAS", "INSTIBS", "BLOQ", "X"])
attr_names = st.sampled_from(["type", "time", "idsignal", "signaltype", "alias", "idDev", "code", "name", "user",
                              "myverisureUser", "totalreg", "aliasType", "id"])
texts = st.one_of(
    st.sampled_from(["OK", "WAIT", "ERROR", "60022", "201110190512", "991399999999", "32", "16", "", "/9j/4AAQ", "!!"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
)


def _attrs(draw_attrs: dict[str, str]) -> str:
    return "".join(f" {k}={quoteattr(v)}" for k, v in draw_attrs.items())


xml_safe_texts = texts.map(lambda t: "".join(c for c in t if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")))

elements = st.recursive(
    st.builds(lambda n, a, t: f"<{n}{_attrs(a)}>{t.replace('&', '&amp;').replace('<', '&lt;')}</{n}>",
              names, st.dictionaries(attr_names, xml_safe_texts, max_size=4), xml_safe_texts),
    lambda children: st.builds(lambda n, a, kids: f"<{n}{_attrs(a)}>{''.join(kids)}</{n}>",
                               names, st.dictionaries(attr_names, xml_safe_texts, max_size=3),
                               st.lists(children, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.builds(lambda res, kids: f"<PET><RES>{res}</RES>{''.join(kids)}</PET>",
                 st.sampled_from(["OK", "WAIT", "ERROR", "ok"]), st.lists(elements, max_size=6)))
def test_structured_garbage_gives_only_protocol_errors(body: str) -> None:
    try:
        reply = parse_reply(body)
    except ProtocolError:
        return
    for parser in PARSERS:
        try:
            parser(reply)
        except ProtocolError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), elements.map(str.encode),
                 st.text(max_size=300).map(lambda t: ("<PET><RES>OK</RES>" + t + "</PET>").encode("utf-8", "surrogatepass"))))
def test_arbitrary_bytes_give_only_protocol_errors(body: bytes) -> None:
    try:
        reply = parse_reply(body)
    except ProtocolError:
        return
    for parser in PARSERS:
        try:
            parser(reply)
        except ProtocolError:
            pass


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="abcdefghijklmnop;&%\"' <>!", max_size=60), st.sampled_from(["ENTITY", "ELEMENT", "ATTLIST", "NOTATION"]))
def test_any_doctype_is_refused(inner: str, keyword: str) -> None:
    body = f'<?xml version="1.0"?><!DOCTYPE PET [<!{keyword} {inner}>]><PET><RES>OK</RES></PET>'
    with pytest.raises(ProviderError) as info:
        parse_reply(body)
    assert isinstance(info.value, ProtocolError)
