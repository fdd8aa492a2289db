"""Someone else's client, unmodified, against our ws.do simulator: pysecuritas 0.1.6 (PyPI).

pysecuritas hard-codes the vendor URL and sleeps 1 s between polls; we point
the URL at the simulator and shorten the sleep. Its `Session.__init__` also
appends to urllib3's `DEFAULT_CIPHERS`, which urllib3 2 no longer has, so
that attribute is provided. Nothing else is changed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import urllib3.util.ssl_

from alarmtui.simulators.host import ThreadedSimHost
from alarmtui.simulators.verisure import VerisureCloud

pysecuritas_session = pytest.importorskip("pysecuritas.core.session")
from pysecuritas.api import installation as pysecuritas_installation  # noqa: E402
from pysecuritas.api.alarm import Alarm  # noqa: E402
from pysecuritas.api.camera import Camera  # noqa: E402
from pysecuritas.api.installation import Installation  # noqa: E402


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[VerisureCloud]:
    cloud = VerisureCloud(exit_delay=0.0, photo_delay=0.1, strict=True)  # strict: callby required, as after 2020-11
    with ThreadedSimHost([cloud], tls=True) as host:
        monkeypatch.setattr(pysecuritas_session, "BASE_URL", host.urls["verisure"] + "/WebService/ws.do")
        monkeypatch.setattr(pysecuritas_installation, "RATE_LIMIT", 0.02)
        monkeypatch.setattr(urllib3.util.ssl_, "DEFAULT_CIPHERS", "", raising=False)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(host.ca_file))
        monkeypatch.chdir(tmp_path)  # the camera writes its JPEGs to the working directory
        yield cloud


def test_pysecuritas_drives_the_simulator(served: VerisureCloud, tmp_path) -> None:
    cloud = served
    session = pysecuritas_session.Session("demo", "demo-pass", cloud.main.numinst, "ES", "es", sensor="1")
    session.connect()
    info = Installation(session)
    assert [i["ALIAS"] for i in info.get_installations()["INSTALATIONS"]["INSTALATION"]] == ["Casa", "Apartamento"]
    assert info.get_alias() == "Casa"
    devices = info.get_installation_info()["INSTALLATION"]["DEVICES"]["DEVICE"]
    assert devices[0]["@aliasType"] == "Foto detector"
    alarm = Alarm(session)
    for command, status in [("EST", "0"), ("ARMDAY", "P"), ("PERI", "B"), ("DARM", "0"), ("ARMNIGHT", "Q"),
                            ("PERI", "C"), ("DARM", "0"), ("ARM", "1"), ("PERI", "4"), ("DARM", "0"), ("PERI", "3")]:
        result = alarm.execute_command(command)
        assert (result["RES"], result["STATUS"]) == ("OK", status), (command, result)
    assert alarm.execute_command("ARMANNEX")["RES"] == "OK"
    assert cloud.main.panel.partitions["1"].annex
    # pysecuritas logs in again on 60022 and repeats the read.
    cloud.expire_sessions()
    assert alarm.execute_command("EST")["STATUS"] == "3"
    log = info.get_activity_log()["LIST"]["REG"]
    assert log[0]["@type"] == "27" and log[0]["@signaltype"] == "27"
    # The full photo flow: SRV → IMG1/IMG2 → ACT_V2 until signaltype 16 → INF.
    result = Camera(session).execute_command("IMG")
    assert result["RES"] == "OK"
    for name in result["FILES"].values():
        assert (tmp_path / name).read_bytes().startswith(b"\xff\xd8")
    assert cloud.request_counts["INF"] == 1
    session.close()
    assert not cloud.sessions
