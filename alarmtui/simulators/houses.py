"""The demo houses: one simulated panel per vendor, with the zones, partitions and users its country and
vendor would have (the same houses in `alarmtui --demo`, `alarmtui sim` and the tests)."""

from __future__ import annotations

from typing import Any

from alarmtui.simulators.panel import Mode, SimPanel, SimPartition, SimUser, SimZone


def _users() -> list[SimUser]:
    return [
        SimUser("1", "Ana", "1234", "master"),
        SimUser("2", "Luis", "5678", "user"),
        SimUser("3", "Cleaner", "2580", "user"),
    ]


def verisure_house(**kwargs: object) -> SimPanel:
    """A Spanish flat: one partition, photo detectors, a perimeter, an annex."""
    interior = frozenset({Mode.AWAY, Mode.HOME, Mode.NIGHT})
    zones = [
        SimZone("1", "Entrada", "camera", entry=True, modes=frozenset({Mode.AWAY, Mode.NIGHT}), model="YR"),
        SimZone("2", "Comedor", "camera", modes=frozenset({Mode.AWAY}), model="YR"),
        SimZone("3", "Cocina", "camera", modes=frozenset({Mode.AWAY, Mode.NIGHT}), model="YR"),
        SimZone("4", "Dormitorio", "camera", modes=frozenset({Mode.AWAY, Mode.HOME}), model="YR"),
        SimZone("5", "Puerta principal", "contact", entry=True, perimeter=True, modes=interior, model="MG"),
        SimZone("6", "Terraza", "motion", perimeter=True, modes=frozenset(), model="XP"),
    ]
    return SimPanel("Casa", [SimPartition("1", "Casa")], zones, _users(), **kwargs)  # type: ignore[arg-type]


def small_flat(**kwargs: Any) -> SimPanel:
    """The demo account's second installation: a small flat with one photo detector."""
    zones = [
        SimZone("1", "Salón", "camera", entry=True, modes=frozenset({Mode.AWAY, Mode.NIGHT}), model="YR"),
        SimZone(
            "2", "Puerta", "contact", entry=True, perimeter=True, modes=frozenset({Mode.AWAY, Mode.HOME, Mode.NIGHT}), model="MG"
        ),
    ]
    return SimPanel("Apartamento", [SimPartition("1", "Apartamento")], zones, _users()[:2], **kwargs)  # type: ignore[arg-type]


def visonic_house(partitions: bool = True, **kwargs: object) -> SimPanel:
    """A PowerMaster: three partitions (house, garage, office) or one."""
    if partitions:
        parts = [SimPartition("1", "House"), SimPartition("2", "Garage"), SimPartition("3", "Office")]
        p_house, p_garage, p_office = ("1",), ("2",), ("3",)
    else:
        parts = [SimPartition("1", "Panel")]
        p_house = p_garage = p_office = ("1",)
    away_only = frozenset({Mode.AWAY})
    both = frozenset({Mode.AWAY, Mode.HOME})
    zones = [
        SimZone("1", "Front door", "contact", p_house, both, entry=True, model="MC-302 PG2"),
        SimZone("2", "Hall PIR", "camera", p_house, away_only, model="Next CAM PG2"),
        SimZone("3", "Living room", "motion", p_house, away_only, model="Next PG2"),
        SimZone("4", "Back door", "contact", p_house, both, model="MC-302 PG2"),
        SimZone("5", "Smoke detector", "smoke", p_house, frozenset(), model="SMD-426 PG2"),
        SimZone("6", "Garage door", "contact", p_garage, both, entry=True, model="MC-302E PG2"),
        SimZone("7", "Garage PIR", "camera", p_garage, away_only, model="Next CAM PG2"),
        SimZone("8", "Office window", "contact", p_office, both, model="MC-302 PG2"),
        SimZone("9", "Keyfob Ana", "keyfob", p_house, frozenset(), model="KF-235 PG2"),
        SimZone("10", "GSM module", "gsm", p_house, frozenset(), model="GSM-350 PG2"),
        SimZone("11", "Porch light", "pgm", p_house, frozenset(), model="PGM"),
        SimZone("12", "Water leak", "generic", p_house, frozenset(), model="FLD-550 PG2"),
    ]
    return SimPanel("PowerMaster 30", parts, zones, _users(), **kwargs)  # type: ignore[arg-type]


def vera_house(**kwargs: object) -> SimPanel:
    """A Vera with an alarm panel plugin: two partitions, sensors, a camera."""
    both = frozenset({Mode.AWAY, Mode.HOME, Mode.NIGHT})
    away_night = frozenset({Mode.AWAY, Mode.NIGHT})
    away = frozenset({Mode.AWAY})
    zones = [
        SimZone("1", "Front Door", "contact", ("1",), both, entry=True),
        SimZone("2", "Kitchen Window", "contact", ("1",), both),
        SimZone("3", "Living Room Motion", "motion", ("1",), away),
        SimZone("4", "Upstairs Motion", "motion", ("1",), away_night),
        SimZone("5", "Garage Door", "contact", ("2",), both, entry=True),
        SimZone("6", "Garage Motion", "motion", ("2",), away),
        SimZone("7", "Driveway Camera", "camera", ("2",), frozenset()),
    ]
    parts = [SimPartition("1", "House"), SimPartition("2", "Garage")]
    return SimPanel("Vera Plus", parts, zones, _users(), **kwargs)  # type: ignore[arg-type]


def securitas_house(**kwargs: Any) -> SimPanel:
    """A Spanish house on an SDVFAST panel: interior, a perimeter, two cameras."""
    interior = frozenset({Mode.AWAY, Mode.HOME, Mode.NIGHT})
    zones = [
        SimZone("1", "Salón", "camera", entry=False, modes=frozenset({Mode.AWAY}), model="QR"),
        SimZone("2", "Entrada", "camera", entry=True, modes=frozenset({Mode.AWAY, Mode.NIGHT}), model="QR"),
        SimZone("3", "Puerta de la cocina", "contact", modes=interior, model="MG"),
        SimZone("4", "Ventana del dormitorio", "contact", modes=frozenset({Mode.AWAY, Mode.HOME}), model="MG"),
        SimZone("5", "Jardín", "motion", perimeter=True, modes=frozenset(), model="XR"),
        SimZone("6", "Teclado", "keypad", modes=frozenset(), model="VV"),
    ]
    return SimPanel("Hogar", [SimPartition("1", "Hogar")], zones, _users(), **kwargs)


def mypages_house(**kwargs: Any) -> SimPanel:
    """A Swedish villa: doors and windows with live contact state, a motion detector, a camera, a smoke detector."""
    every = frozenset({Mode.AWAY, Mode.HOME})
    zones = [
        SimZone("2BC4 7XKQ", "Hall", "contact", entry=True, modes=every, model="DOOR"),
        SimZone("2BC4 8MNP", "Kitchen window", "contact", modes=every, model="WINDOW"),
        SimZone("2BC4 9RST", "Balcony door", "contact", modes=frozenset({Mode.AWAY}), model="DOOR"),
        SimZone("3DE5 1PIR", "Living room", "motion", modes=frozenset({Mode.AWAY}), model="PIR"),
        SimZone("4CAM 1ABC", "Garden", "camera", modes=frozenset(), model="CAMERA"),
        SimZone("5SMK 2DEF", "Upstairs", "smoke", modes=frozenset(), model="SMOKE"),
    ]
    users = [
        SimUser("1", "Anna", "1234", "master"),
        SimUser("2", "Lars", "5678", "user"),
        SimUser("3", "Städhjälp", "2580", "user"),
    ]
    return SimPanel("Villa", [SimPartition("1", "Villa")], zones, users, **kwargs)
