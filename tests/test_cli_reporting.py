"""The CLI's reporting: exit codes follow the command timeline, progress shows real time, one-shot hints."""

from __future__ import annotations

import argparse
import io

import pytest

from alarmtui.domain import CommandPhase, CommandProgress, CommandResult
from alarmtui.headless import Exit, exit_code_for, exit_code_for_result, one_shot_hint, progress_printer, report_result
from alarmtui.providers.commands import result_for_error
from alarmtui.providers.errors import (
    AuthenticationFailed,
    CertificateError,
    NotSent,
    OpenZones,
    PanelOffline,
    ProtocolError,
    RateLimited,
    ReplyLost,
    SessionExpired,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (AuthenticationFailed("wrong password"), Exit.AUTH),
        (NotSent("connection refused"), Exit.UNAVAILABLE),
        (CertificateError("TLS certificate problem"), Exit.UNAVAILABLE),
        (PanelOffline("offline"), Exit.UNAVAILABLE),
        (RateLimited("429"), Exit.RATE_LIMITED),
        (OpenZones("Front door open", zones=("Front door",)), Exit.FAILED),
        (ReplyLost("timed out"), Exit.UNKNOWN_OUTCOME),  # unstamped: judged by type
        (ProtocolError("garbled"), Exit.UNKNOWN_OUTCOME),
    ],
)
def test_exit_codes_follow_the_timeline(error, code) -> None:
    assert exit_code_for_result(result_for_error(error)) == code


def test_session_expiry_after_step_one_is_unknown_not_login_failed() -> None:
    error = SessionExpired("hash expired")
    error.may_have_left = True  # stamped by the timeline after the vendor accepted step 1
    assert exit_code_for(error) == Exit.UNKNOWN_OUTCOME
    assert exit_code_for_result(result_for_error(error)) == Exit.UNKNOWN_OUTCOME


def test_progress_shows_real_elapsed_time_and_each_step() -> None:
    now = [100.0]
    out = io.StringIO()
    show = progress_printer(out, clock=lambda: now[0])
    show(CommandProgress(CommandPhase.SENT, "sending ARM1", 0.0))
    now[0] += 2.5
    show(CommandProgress(CommandPhase.WAITING, "waiting for the panel", 0.0))
    show(CommandProgress(CommandPhase.WAITING, "waiting for the panel", 0.0))  # not repeated
    lines = out.getvalue().splitlines()
    assert lines == ["… sending ARM1 (0.0 s)", "… waiting for the panel (2.5 s)"]


def test_outcome_lines_have_no_doubled_words(capsys) -> None:
    args = argparse.Namespace(command="arm")
    assert (
        report_result(args, "casa", CommandResult(CommandPhase.CONFIRMED, "armed", 1.2, state="armed away — exit delay 15 s"))
        == 0
    )
    assert capsys.readouterr().out == "casa: done — armed away — exit delay 15 s (1.2 s)\n"
    unknown = result_for_error(ReplyLost("timed out waiting for the server"))
    assert report_result(args, "casa", unknown) == Exit.UNKNOWN_OUTCOME
    err = capsys.readouterr().err
    assert err.count("outcome unknown") == 1
    assert report_result(args, "casa", result_for_error(OpenZones("Front door open"))) == Exit.FAILED
    assert capsys.readouterr().err == "alarmtui: casa: refused: Front door open\n"


def test_one_shot_hints_do_not_promise_retrying() -> None:
    for error in (PanelOffline("offline"), NotSent("refused"), ProtocolError("x"), SessionExpired("x")):
        assert "keeps retrying" not in one_shot_hint(error) and "will retry" not in one_shot_hint(error)
    assert "certificate" in one_shot_hint(CertificateError("x"))


async def test_status_exits_4_when_a_panel_is_offline(tmp_path, capsys) -> None:
    # Issue 8 defect 8: `status` exited 0 for an offline Verisure panel while the others exited 4.
    from alarmtui.headless import cmd_status
    from alarmtui.settings import Settings
    from alarmtui.simulators.host import SimHost
    from alarmtui.simulators.verisure import VerisureCloud

    cloud = VerisureCloud(step2_waits=0)
    async with SimHost([cloud]) as host:
        settings = Settings(providers=host.provider_tables())
        args = argparse.Namespace(provider=None, partition=None, quick=False, json=True)
        cloud.main.panel.set_offline(True)
        assert await cmd_status(args, settings) == Exit.UNAVAILABLE
        assert '"online": false' in capsys.readouterr().out
        cloud.main.panel.set_offline(False)
        assert await cmd_status(args, settings) == Exit.OK


def test_cli_zone_by_unambiguous_number_when_ids_carry_the_type() -> None:
    from alarmtui.domain import Snapshot, Zone
    from alarmtui.headless import UsageError, zone_id_in

    snapshot = Snapshot(zones=(Zone("ZONE-1", "Front door"), Zone("KEYFOB-1", "Fob"), Zone("PGM-2", "Light")))
    assert zone_id_in(snapshot, "1", "powermaster") == "ZONE-1"
    assert zone_id_in(snapshot, "2", "powermaster") == "PGM-2"
    assert zone_id_in(snapshot, "front door", "powermaster") == "ZONE-1"
    with pytest.raises(UsageError):
        zone_id_in(snapshot, "3", "powermaster")
