"""Properties: whatever valid message the model holds, writing then reading gives it back.

The gateway stores what it read and delivers what it writes, so a value that
changed on the way (an escaped ``&``, a Vietnamese letter, a trailing space, a
byte of an attachment) would be a document altered in transit.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import as_file, files

from hypothesis import HealthCheck, given, settings
from lxml import etree

from edxml.strategies import packages, status_messages
from gateway.edxml import (
    Package,
    StatusMessage,
    parse,
    read,
    read_package,
    read_status,
    validate,
    write,
)

PROPERTY = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(packages())
def test_any_valid_package_reads_back_equal(package: Package):
    written = write(package)
    read_back = read_package(written)
    assert read_back == package
    assert write(read(written)) == written
    assert [(f.reference is None, f.attachment.data) for f in read_back.files()] == [
        (False, a.data) for a in package.attachments
    ]


@PROPERTY
@given(status_messages())
def test_any_valid_status_message_reads_back_equal(status: StatusMessage):
    written = write(status)
    assert read_status(written) == status
    assert write(read(written)) == written


@settings(PROPERTY, max_examples=40)
@given(packages(signed=True))
def test_a_stored_signature_survives_unchanged_in_its_place(package: Package):
    written = write(package)
    header = etree.fromstring(written).find(".//{*}edXMLHeader")
    signature = header[len(header) - 1]
    assert etree.tostring(signature, method="c14n", exclusive=True) == package.signature_xml


@cache
def _schema(name: str) -> etree.XMLSchema:
    with as_file(files("gateway") / "xsd" / name) as path:
        return etree.XMLSchema(etree.parse(str(path)))


@settings(PROPERTY, max_examples=30)
@given(packages(), status_messages())
def test_the_strategies_make_messages_the_validator_accepts(package, status):
    """Others reuse these strategies as "any valid message": hold them to the XSDs and rules."""
    for message, name in ((package, "edxml-package.xsd"), (status, "edxml-status.xsd")):
        written = write(message)
        schema = _schema(name)
        assert schema.validate(etree.fromstring(written)), str(schema.error_log)
        assert validate(parse(written)) == []
