"""An outage inside the gateway: the caller gets Server.Internal with a correlation id,
the log gets the traceback under the same id, and the gateway recovers by itself."""

from __future__ import annotations

from .conftest import Gateway
from .packages import H41, TNS, envelope
from .test_bad_requests import assert_fault


def _rename_table(gateway: Gateway, old: str, new: str) -> None:
    gateway.run_sql(f"ALTER TABLE {old} RENAME TO {new}")


def test_a_database_failure_is_server_internal_with_a_correlation_id(gateway: Gateway) -> None:
    _rename_table(gateway, "deliveries", "deliveries_away")
    response = gateway.post(envelope("getPendingDocuments"), organ_id=H41)
    fault = assert_fault(response, "Server.Internal")
    correlation_id = fault.findtext(f"detail/{{{TNS}}}fault/{{{TNS}}}correlationId")
    assert correlation_id and correlation_id in fault.findtext("faultstring")
    for leak in ("deliveries", "sqlite", "SELECT", "Traceback"):
        assert leak not in response.text
    log = gateway.log()
    assert f"internal error {correlation_id}" in log
    assert "Traceback" in log.split(correlation_id, 1)[1]

    _rename_table(gateway, "deliveries_away", "deliveries")
    assert gateway.post(envelope("getPendingDocuments"), organ_id=H41).status_code == 200


def test_sigterm_stops_the_gateway_cleanly(gateway: Gateway) -> None:
    assert gateway.stop() == 0
    assert "edxml-gateway stopped" in gateway.output_after_exit()
