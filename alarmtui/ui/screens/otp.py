"""Validates this device with a one-time code (Securitas by SMS, My Pages by SMS or e-mail).

Step 1: choose where the code goes — the channels the vendor offers, as it words them (Securitas' masked
phone numbers, My Pages' "SMS to the account's phone number" / "e-mail to the account's address") — and send it.
Step 2: type the digits. The code is shown as typed (it is single use) but never
logged or kept; the provider finishes the validation and remembers the device.
The verifier is the engine's (`Engine.device_verifier`): the provider itself
in-process, the service's provider (one request per step) when attached.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from alarmtui.domain.text import clean_text
from alarmtui.engine.verify import DeviceVerifier
from alarmtui.providers.errors import ProviderError, TwoFactorRequired  # not .base: that loads httpx
from alarmtui.ui.format import widget_text
from alarmtui.ui.screens.guard import GuardedModal
from alarmtui.ui.widgets.vim import VimOptionList


class OtpScreen(GuardedModal[bool]):
    """Dismisses with True once the device is validated, False when cancelled."""

    DEFAULT_CSS = """
    OtpScreen { align: center middle; }
    #otp-dialog { width: 64; }
    #otp-dialog Label { width: 100%; }
    #otp-title { text-style: bold; margin-bottom: 1; width: 100%; }
    #otp-phones { height: auto; max-height: 6; margin-bottom: 1; }
    #otp-status { color: $text-muted; margin-top: 1; width: 100%; }
    #otp-status.error { color: $error; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="otp_cancel")]

    def __init__(self, provider: DeviceVerifier, phones: tuple[tuple[str, str], ...], reason: str = "") -> None:
        super().__init__()
        self.provider = provider
        self.phones = tuple(phones)
        self.reason = reason
        self.sent = False

    def compose(self) -> ComposeResult:
        with Vertical(id="otp-dialog", classes="dialog"):
            yield Label(widget_text(f"{self.provider.name}: verify this device"), id="otp-title")
            yield Label(
                "The alarm company sends a one-time code. Choose where it should go, then type the code.",
                markup=False,
            )
            # The vendor's phone masks are data: `Text` prompts, never markup (a "[@click=…]" phone must do nothing).
            yield VimOptionList(*(Option(widget_text(masked), id=phone_id) for phone_id, masked in self.phones), id="otp-phones")
            yield Input(
                restrict=r"[0-9]*",
                max_length=8,
                placeholder="the code (choose where to send it first)",
                id="otp-code",
                disabled=True,
            )
            yield Label(widget_text(self.reason, limit=500), id="otp-status")
            yield Label("Enter: send the code / verify · Esc: later (r retries)", classes="dialog-help", markup=False)

    def on_mount(self) -> None:
        self.query_one("#otp-phones", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            prompt = event.option.prompt
            channel = prompt.plain if isinstance(prompt, Text) else str(prompt)
            self.query_one("#otp-code", Input).placeholder = clean_text(f"the code ({channel})", 60)
            self._status(f"sending a code ({channel})…")
            self.send_code(event.option.id)

    @work(exclusive=True, group="otp")
    async def send_code(self, phone_id: str) -> None:
        try:
            said = await self.provider.send_verification_code(phone_id)
        except ProviderError as exc:
            self._status(exc.message, error=True)
            return
        self.sent = True
        code = self.query_one("#otp-code", Input)
        code.disabled = False
        code.value = ""
        code.focus()
        self._status(said or "code sent; type it here")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()  # the message carries the code: it goes nowhere else

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value:
            self._status("checking the code…")
            self.verify(event.value)

    @work(exclusive=True, group="otp")
    async def verify(self, code: str) -> None:
        try:
            await self.provider.verify_device(code)
        except TwoFactorRequired as exc:  # wrong or expired code: a new one must be sent
            if exc.phones:  # the vendor's new list replaces the one shown
                self.phones = exc.phones
                phones = self.query_one("#otp-phones", OptionList)
                phones.clear_options()
                phones.add_options([Option(widget_text(masked), id=phone_id) for phone_id, masked in self.phones])
                phones.highlighted = 0  # Enter sends a new code to the first phone again
            self.query_one("#otp-code", Input).disabled = True
            self.query_one("#otp-phones", OptionList).focus()
            self._status(f"{exc.message} — choose where to send a new code", error=True)
            return
        except ProviderError as exc:
            self._status(exc.message, error=True)
            return
        self.dismiss(True)

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#otp-status", Label)
        status.update(widget_text(text, limit=500))
        status.set_class(error, "error")

    def action_cancel(self) -> None:
        self.dismiss(False)
