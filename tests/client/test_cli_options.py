"""The connection options of `edxml-gateway client` go before or after the action."""

from __future__ import annotations

import pytest

from gateway.cli import build_parser

URL = "http://127.0.0.1:8080/soap"


@pytest.mark.parametrize("argv", [
    ["client", "--url", URL, "--organ-id", "000.00.00.H41", "inbox"],
    ["client", "inbox", "--url", URL, "--organ-id", "000.00.00.H41"],
    ["client", "--url", "http://other/soap", "inbox", "--url", URL,
     "--organ-id", "000.00.00.H41"],
], ids=["before", "after", "after-wins"])
def test_connection_options_before_or_after_the_action(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert (args.action, args.url, args.organ_id) == ("inbox", URL, "000.00.00.H41")


def test_an_option_left_out_stays_unset() -> None:
    args = build_parser().parse_args(["client", "inbox"])
    assert (args.url, args.organ_id, args.config) == (None, None, None)
