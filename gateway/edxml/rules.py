"""The standard's rules that an XSD cannot state, one function per rule.

The XSDs (``schema.py``) check structure, counts, allowed values of closed sets
(Priority, BussinessDocType), lengths and the lexical shape of values. The rules
here need meaning: the agency identifier grammar, whether a date exists, which
status codes are in use, recipients, what a business type needs, attachments.

Rules read the parsed tree, not the model, so every problem has a line number,
and they find elements by local name (as readers do) so order and the odd
namespace slip do not hide a problem. Each message starts with the element it is
about and says what to change. ``RULES`` is the catalog of every rule id the
library and the gateway use, for documentation, the checker and tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from lxml import etree

from .base64text import ascii_base64_error, base64_error
from .formats import STATUS_CODES, parse_date, parse_timestamp
from .model import normalize_content_id
from .parse import ParsedXml
from .problems import Problem
from .schema import XSD_RULES

__all__ = ["RULES", "ORGAN_ID_RE", "organ_id_error", "check_rules"]

RULES: dict[str, str] = {
    "EDX-SIZE-001": "the package is larger than the hub accepts",
    "EDX-XML-001": "the package is empty or not well-formed XML",
    "EDX-XML-002": "the package has a DOCTYPE (DTDs and entities are refused)",
    "EDX-XML-003": "the package is not encoded as UTF-8",
    "EDX-XML-004": "the root element is not edXML in the edXML namespace",
    "EDX-XML-005": "a required element is missing (found while reading the package)",
    "EDX-XML-006": "the package is not the kind expected (document vs status message)",
    **XSD_RULES,
    "EDX-ORGID-001": "an OrganId is not an agency identifier of the form LLL.LL.LL.XNN"
    " (QĐ 20/2020)",
    "EDX-TO-001": "a recipient (To) has an empty OrganId",
    "EDX-TO-002": "the same recipient OrganId appears in more than one To",
    "EDX-TO-003": "the sender (From) is among the recipients (To)",
    "EDX-STATUS-001": "the StatusCode is not one the standard uses (01-06, 13, 15, 16)",
    "EDX-DATE-001": "a date is not a real day written yyyy/MM/dd",
    "EDX-TIME-001": "a timestamp is not a real time written yyyy/MM/dd HH:mm:ss",
    "EDX-BUSS-001": "a replacement (BussinessDocType 3) has no ReplacementInfoList/ReplacementInfo",
    "EDX-BUSS-002": "an update (BussinessDocType 2) has no BussinessDocumentInfo",
    "EDX-ATT-001": "a manifest Reference has no Attachment with its ContentId",
    "EDX-ATT-002": "an Attachment has no manifest Reference with its ContentId",
    "EDX-ATT-003": "an attachment's ContentTransferEncoded is not valid base64",
    "EDX-ATT-004": "two attachments (or two references) share a ContentId",
    "EDX-SIG-001": "the package has no signature but the hub requires one",
    "EDX-SIG-002": "the signature does not verify",
    "EDX-SIG-003": "the signer's certificate is not trusted or not the expected one",
    "EDX-SIG-004": "the signature uses SHA-1, which the hub does not allow",
    "EDX-SIG-005": "the signature does not cover the whole package (signature wrapping)",
    "EDX-SIG-006": "the package has no edXMLHeader to carry a signature (when signing)",
}

ORGAN_ID_RE = re.compile(r"\A[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}\Z")
"""QĐ 20/2020 agency identifier, read right to left: level 1 a letter and two digits
(G ministries, H provinces, A Party bodies), then levels 2 and 3 (two digits) and 4
(three digits); a group of zeros is an unused level."""

_ORGAN_ID_PARENTS = frozenset({"From", "To", "ResponseFor", "TraceHeader", "Receiver",
                               "OrganIdList"})
_DATES = frozenset({"PromulgationDate", "DueDate"})
_TIMESTAMPS = frozenset({"Timestamp"})


def organ_id_error(value: str) -> str | None:
    """What is wrong with ``value`` as an agency identifier, or None when it is one."""
    if ORGAN_ID_RE.match(value):
        return None
    if not value:
        return "is empty; give the agency identifier, e.g. 000.00.00.G22"
    return (f"{value[:40]!r} is not an agency identifier; use the QĐ 20/2020 form LLL.LL.LL.XNN"
            " (digits, dots, one capital letter, e.g. 000.00.00.G22 or 000.00.13.H53)")


# ---------------------------------------------------------------- tree helpers


def _local(element: etree._Element) -> str | None:
    tag = element.tag
    return tag[tag.rfind("}") + 1:] if isinstance(tag, str) else None


def _walk(root: etree._Element) -> Iterator[etree._Element]:
    """Every element except the insides of Signature (XML-DSig has its own names)."""
    stack = [root]
    while stack:
        element = stack.pop()
        yield element
        if _local(element) != "Signature":
            stack.extend(reversed([c for c in element if isinstance(c.tag, str)]))


class _Tree:
    """A package's elements by local name, from one walk of the tree.

    Every rule looks its elements up here: when each rule walked the whole tree itself,
    the walks were most of ``validate``'s time on a small package.
    """

    def __init__(self, parsed: ParsedXml) -> None:
        self.root = parsed.tree
        self.kind = parsed.kind
        self.data = parsed.data
        self.in_place = parsed.in_place
        self._by_name: dict[str | None, list[tuple[int, etree._Element]]] = {}
        for position, element in enumerate(_walk(self.root)):
            self._by_name.setdefault(_local(element), []).append((position, element))

    def named(self, *names: str) -> Iterator[etree._Element]:
        """The elements called any of ``names``, in document order."""
        found = [entry for name in names for entry in self._by_name.get(name, ())]
        if len(names) > 1:
            found.sort(key=lambda entry: entry[0])
        return (element for _, element in found)


def _children(parent: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in parent if _local(c) == name]


def _text(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _child_text(parent: etree._Element, name: str) -> str:
    found = _children(parent, name)
    return _text(found[0]) if found else ""


# ---------------------------------------------------------------- the rules


def organ_ids(tree: _Tree) -> Iterator[Problem]:
    """EDX-ORGID-001 for From, To, ResponseFor, TraceHeader, Receiver and OrganIdList."""
    for element in tree.named("OrganId"):
        parent = _local(element.getparent())
        value = _text(element)
        if parent not in _ORGAN_ID_PARENTS or (parent == "To" and not value):
            continue  # an empty To is EDX-TO-001
        error = organ_id_error(value)
        if error:
            yield Problem("EDX-ORGID-001", f"OrganId in {parent} {error}", element.sourceline)


def recipients(tree: _Tree) -> Iterator[Problem]:
    """EDX-TO-001 empty, EDX-TO-002 repeated, EDX-TO-003 the sender among the recipients."""
    if tree.kind != "edoc":
        return
    for header in tree.named("MessageHeader"):
        senders = {_child_text(f, "OrganId") for f in _children(header, "From")}
        seen: set[str] = set()
        for to in _children(header, "To"):
            organ_ids = _children(to, "OrganId")
            if not organ_ids:
                continue  # a missing OrganId is the XSD's to report
            organ_id = _text(organ_ids[0])
            if not organ_id:
                yield Problem("EDX-TO-001", "OrganId of To is empty; give the recipient's agency"
                              " identifier or remove this To", organ_ids[0].sourceline)
            elif organ_id in seen:
                yield Problem("EDX-TO-002", f"To {organ_id} is listed more than once; keep one To"
                              " per recipient", to.sourceline)
            elif organ_id in senders:
                yield Problem("EDX-TO-003", f"To {organ_id} is the sender itself (From); an agency"
                              " does not send to itself: remove it from To", to.sourceline)
            seen.add(organ_id)


def status_code(tree: _Tree) -> Iterator[Problem]:
    """EDX-STATUS-001: only the codes real systems use; 07-12 and 14 appear in no source."""
    if tree.kind != "status":
        return
    for element in tree.named("StatusCode"):
        code = _text(element)
        if code not in STATUS_CODES:
            known = ", ".join(STATUS_CODES)
            yield Problem("EDX-STATUS-001", f"StatusCode {code[:20]!r} is not a status of the"
                          f" standard; use one of {known}", element.sourceline)


def dates(tree: _Tree) -> Iterator[Problem]:
    """EDX-DATE-001 for PromulgationDate and DueDate. DocumentId is opaque: never checked."""
    yield from _formatted(tree, _DATES, parse_date, "EDX-DATE-001")


def timestamps(tree: _Tree) -> Iterator[Problem]:
    """EDX-TIME-001 for TraceHeader and status Timestamps (Vietnam time, no zone)."""
    yield from _formatted(tree, _TIMESTAMPS, parse_timestamp, "EDX-TIME-001")


def _formatted(tree: _Tree, names: frozenset[str], parse: Callable[[str], object],
               rule_id: str) -> Iterator[Problem]:
    for element in tree.named(*names):
        try:
            parse(_text(element))
        except ValueError as exc:
            advice = "" if "e.g." in str(exc) else "; correct it"
            yield Problem(rule_id, f"{_local(element)}: {exc}{advice}", element.sourceline)


def bussiness_parts(tree: _Tree) -> Iterator[Problem]:
    """EDX-BUSS-001/002: a replacement names what it replaces, an update says what changed."""
    for bussiness in tree.named("Bussiness"):
        doc_type = _child_text(bussiness, "BussinessDocType")
        if doc_type == "3" and not any(
                _children(lst, "ReplacementInfo")
                for lst in _children(bussiness, "ReplacementInfoList")):
            yield Problem("EDX-BUSS-001", "Bussiness with BussinessDocType 3 (replace) needs a"
                          " ReplacementInfoList with at least one ReplacementInfo naming the"
                          " replaced document; add it", bussiness.sourceline)
        if doc_type == "2" and not _children(bussiness, "BussinessDocumentInfo"):
            yield Problem("EDX-BUSS-002", "Bussiness with BussinessDocType 2 (update) needs a"
                          " BussinessDocumentInfo saying what is updated; add it",
                          bussiness.sourceline)


def attachments(tree: _Tree) -> Iterator[Problem]:
    """EDX-ATT-001/002/004: manifest and attachments pair up by ContentId (``cid:`` optional)."""
    if tree.kind != "edoc":
        return
    references = _by_content_id(tree.named("Reference"))
    files = _by_content_id(tree.named("Attachment"))
    for kind, entries in (("Reference", references), ("Attachment", files)):
        for content_id, elements in entries.items():
            for extra in elements[1:]:
                yield Problem("EDX-ATT-004", f"{kind} ContentId {content_id!r} is used more than"
                              f" once; give each {kind} its own ContentId", extra.sourceline)
    for content_id, elements in references.items():
        if content_id not in files:
            yield Problem("EDX-ATT-001", f"Reference {content_id!r} in the manifest has no"
                          " Attachment with that ContentId; attach the file or remove the"
                          " Reference", elements[0].sourceline)
    for content_id, elements in files.items():
        if content_id not in references:
            yield Problem("EDX-ATT-002", f"Attachment {content_id!r} is not listed in the"
                          " manifest (edXMLManifest/Reference); add a Reference with its"
                          " ContentId", elements[0].sourceline)


def _by_content_id(elements: Iterator[etree._Element]) -> dict[str, list[etree._Element]]:
    found: dict[str, list[etree._Element]] = {}
    for element in elements:
        content_ids = _children(element, "ContentId")  # none at all: the XSD reports it
        if content_ids and _local(element.getparent()) in ("edXMLManifest", "AttachmentEncoded"):
            key = normalize_content_id(_text(content_ids[0]))
            found.setdefault(key, []).append(element)
    return found


def base64_content(tree: _Tree) -> Iterator[Problem]:
    """EDX-ATT-003: the verdict (and words) of the model's decoding, ``Attachment.data``,
    so reading and checking agree; reached without decoding (see ``base64text``).

    A large attachment is read from the package's bytes (``ParsedXml.in_place``, ASCII
    there): lxml gives a text only whole, as a copy, and the tree may not even hold it.
    """
    view = memoryview(tree.data)
    for element in tree.named("ContentTransferEncoded"):
        span = tree.in_place.get(element)
        detail = base64_error(element.text or "") if span is None else \
            ascii_base64_error(view[span[0]:span[1]])
        if detail is not None:
            yield Problem("EDX-ATT-003", f"ContentTransferEncoded is not valid base64 ({detail});"
                          " encode the file with standard base64", element.sourceline)


CHECKS: tuple[Callable[[_Tree], Iterator[Problem]], ...] = (
    organ_ids, recipients, status_code, dates, timestamps, bussiness_parts, attachments,
    base64_content,
)


def check_rules(parsed: ParsedXml) -> list[Problem]:
    """Every rule problem of ``parsed``."""
    tree = _Tree(parsed)
    return [problem for check in CHECKS for problem in check(tree)]
