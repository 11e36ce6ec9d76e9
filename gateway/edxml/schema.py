"""XSD validation of edXML, tolerant of element order, reporting every violation.

Real packages vary the order of elements and real readers match children by
name, so refusing a package for its order would refuse real agencies. The XSDs
in ``xsd/`` keep strict sequences (presence and counts matter); we validate a
*copy* of the tree whose known containers have their children re-sorted into
the standard's order, taken from the XSDs themselves so the order is written
once. Each element of the copy is numbered, and the numbers lead back to the
sender's lines (a copy loses line numbers past 65535, see ``_Copy``).

libxml2 stops checking a container's children at its first misplaced child, so
one pass would hide later problems of the same container. After each pass the
copy is repaired (a placeholder for a missing element, removal of an unexpected
one) and validated again until nothing structural is left: the sender learns
every problem at once. Placeholders have no line; errors inside them are noise
and dropped.

Attachment text is left out of the copy: the XSD does not type it (base64 is rule
EDX-ATT-003), it would make every pass walk tens of megabytes, and copying it would
double the memory a large package needs. The elements on the way to an attachment
are copied one by one, everything else in whole subtrees (``_copy_without_bulk``).
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import as_file, files

from lxml import etree

from .namespaces import DSIG_NS, EDXML_NS
from .parse import ParsedXml
from .problems import Problem

__all__ = ["SCHEMA_FILES", "XSD_RULES", "schema_for", "child_order", "check_schema"]

SCHEMA_FILES = {"edoc": "edxml-package.xsd", "status": "edxml-status.xsd"}

XSD_RULES: dict[str, str] = {
    "EDX-XSD-001": "a required element is missing",
    "EDX-XSD-002": "an element is not allowed where it is (unknown, repeated or in the wrong"
    " namespace)",
    "EDX-XSD-003": "a value has the wrong form (not in the allowed set, pattern or type)",
    "EDX-XSD-004": "a value is longer than the standard allows",
    "EDX-XSD-005": "an attribute is not allowed or is missing",
    "EDX-XSD-006": "text where the standard allows only elements, or elements where it allows"
    " only text",
    "EDX-XSD-009": "another schema violation (message from the XML Schema validator)",
}

_XS = "http://www.w3.org/2001/XMLSchema"
_MAX_PASSES = 25
_LAST_NUMBER = 65534  # element numbers fit libxml2's unsigned short line (65535 = unknown)
_BULK_TEXT = {"ContentTransferEncoded"}
_COPY_WHOLE_BELOW = 64 * 1024  # bytes of package
_OPAQUE = {"Signature"}  # never sorted, repaired or looked into
_PATTERN_WORDS = {
    "[0-9A-Z.]{1,35}": "an agency identifier (QĐ 20/2020: up to 35 characters of 0-9, A-Z"
    " and '.', e.g. 000.00.00.G22)",
    "[0-9]{4}/[0-9]{2}/[0-9]{2}": "a date yyyy/MM/dd (e.g. 2015/09/30)",
    "[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}": "a timestamp yyyy/MM/dd HH:mm:ss"
    " (e.g. 2015/09/20 11:08:36)",
    "[0-9]{2}": "two digits (e.g. 01)",
}


# ---------------------------------------------------------------- loading (once per process)


_per_thread = threading.local()
_compiling = threading.RLock()


def schema_for(kind: str) -> etree.XMLSchema:
    """The compiled XSD for ``kind`` ("edoc" or "status"), compiled once per thread.

    Not once per process: an lxml validator keeps the errors of its last run on
    itself, so two threads validating with one validator read each other's errors
    (an invalid package then passes). A compile costs milliseconds, once per thread.
    """
    schemas = _per_thread.__dict__.setdefault("schemas", {})
    if kind not in schemas:
        with _compiling:
            schemas[kind] = etree.XMLSchema(_schema_doc(SCHEMA_FILES[kind]))
    return schemas[kind]


@cache
def _schema_doc(name: str) -> etree._ElementTree:
    resource = files("gateway") / "xsd" / name
    with as_file(resource) as path, _compiling:
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        return etree.parse(str(path), parser)


@cache
def child_order(kind: str) -> dict[str, tuple[str, ...]]:
    """Element name -> its children's names in the standard's order, read from the XSDs."""
    docs = [_schema_doc(SCHEMA_FILES[kind])]
    includes = docs[0].getroot().iterfind(f"{{{_XS}}}include")
    docs += [_schema_doc(include.get("schemaLocation")) for include in includes]
    types = {t.get("name"): t for d in docs for t in d.getroot().iterfind(f"{{{_XS}}}complexType")}
    groups = {g.get("name"): g for d in docs for g in d.getroot().iterfind(f"{{{_XS}}}group")}
    orders: dict[str, tuple[str, ...]] = {}
    for doc in docs:
        for decl in doc.getroot().iter(f"{{{_XS}}}element"):
            complex_type = decl.find(f"{{{_XS}}}complexType")
            if complex_type is None:
                complex_type = types.get(decl.get("type", "").rpartition(":")[2])
            if complex_type is None or decl.get("name") is None:
                continue
            names = tuple(_content_names(complex_type, groups))
            if orders.setdefault(decl.get("name"), names) != names:
                raise ValueError(f"{decl.get('name')} has two different contents in {kind} XSD")
    return orders


def _content_names(particle: etree._Element, groups: dict[str, etree._Element]) -> Iterator[str]:
    for child in particle:
        local = etree.QName(child).localname if isinstance(child.tag, str) else ""
        if local == "element":
            yield child.get("name") or child.get("ref", "").rpartition(":")[2]
        elif local == "group":
            yield from _content_names(groups[child.get("ref").rpartition(":")[2]], groups)
        elif local in ("sequence", "choice", "all"):
            yield from _content_names(child, groups)


# ---------------------------------------------------------------- the order-tolerant copy


def _local(element: etree._Element | None) -> str | None:
    """Local name of an edXML or XML-DSig element; None for anything else."""
    if element is None or not isinstance(element.tag, str):
        return None
    qname = etree.QName(element)
    return qname.localname if qname.namespace in (EDXML_NS, DSIG_NS) else None


def _sort_children(element: etree._Element, order: tuple[str, ...]) -> None:
    """Stable sort into ``order``; unknown children go last, comments stay with their element."""
    children = list(element)
    if len(children) < 2:
        return
    keys, last = [], -1
    for child in children:
        if isinstance(child.tag, str):
            name = _local(child)
            last = order.index(name) if name in order else len(order)
        keys.append(last)
    ranked = sorted(range(len(children)), key=keys.__getitem__)
    if ranked != list(range(len(children))):
        element[:] = [children[i] for i in ranked]


class _Copy:
    """The tree being validated: a sorted copy of the package, repaired between passes.

    A copied node keeps its line only below 65535 (libxml2 stores it in an unsigned
    short), and a 20 MB base64 text spans far more lines. So each element of the copy
    is numbered instead: its "line" for libxml2 is that number, which identifies the
    element an error speaks of, and ``lines`` maps it back to the sender's line.
    Placeholders are numbered 0, like any node libxml2 did not read.
    """

    def __init__(self, root: etree._Element, orders: dict[str, tuple[str, ...]], size: int):
        self.orders = orders
        self.root = _copy_without_bulk(root, size)
        self.problems: list[Problem] = []  # found while preparing the copy
        self.lines: list[int | None] = [None]
        for original, twin in zip(root.iter(), self.root.iter(), strict=True):
            if isinstance(twin.tag, str):
                twin.sourceline = min(len(self.lines), _LAST_NUMBER)
                if len(self.lines) < _LAST_NUMBER:
                    self.lines.append(original.sourceline)
        self._prepare(orders)
        self.numbered: dict[tuple[int, str], etree._Element] = {}
        for element in self.root.iter(tag=etree.Element):
            self.numbered.setdefault((element.sourceline or 0, element.tag), element)

    def _prepare(self, orders: dict[str, tuple[str, ...]]) -> None:
        for element, name in _outside_signatures(self.root):
            if name in _BULK_TEXT and len(element) == 0:
                element.text = None
            if name in orders:
                for child in element:
                    self._adopt_if_misnamed(child, name, orders[name])
                _sort_children(element, orders[name])

    def _adopt_if_misnamed(self, child: etree._Element, parent: str,
                           order: tuple[str, ...]) -> None:
        """A known edXML name in the wrong namespace: report it once, then check it as edXML.

        Its descendants in the same namespace follow silently: one mistake (a missing
        prefix or xmlns), one problem, and the content is still checked.
        """
        if not isinstance(child.tag, str) or _local(child) is not None:
            return
        qname = etree.QName(child)
        if qname.localname not in order:
            return
        where = f"namespace {qname.namespace}" if qname.namespace else "no namespace"
        self.problems.append(Problem(
            "EDX-XSD-002",
            f"{qname.localname} in {parent} is in {where}; edXML elements belong to namespace"
            f" {EDXML_NS}: use the edXML: prefix or declare that namespace", self.line_of(child)))
        for element in child.iter(tag=etree.Element):
            if etree.QName(element).namespace == qname.namespace:
                element.tag = f"{{{EDXML_NS}}}{etree.QName(element).localname}"

    def line_of(self, element: etree._Element) -> int | None:
        """The sender's line of an element of the copy (None for placeholders)."""
        number = element.sourceline or 0
        return self.lines[number] if 0 < number < len(self.lines) else None

    def find(self, number: int, tag: str) -> etree._Element | None:
        """The element of the copy an error about ``tag`` at ``number`` speaks of."""
        return self.numbered.get((number, tag))

    def remove(self, element: etree._Element) -> None:
        element.getparent().remove(element)

    def add(self, parent: etree._Element, name: str) -> None:
        """A placeholder (number 0), so the next pass can look past the gap."""
        parent.append(etree.Element(f"{{{EDXML_NS}}}{name}"))
        _sort_children(parent, self.orders.get(_local(parent), ()))


def _outside_signatures(root: etree._Element) -> Iterator[tuple[etree._Element, str | None]]:
    """Each element with its edXML local name, parents first, Signatures not entered.

    An element's children are taken after the caller has seen it, so a caller may sort or
    rename them first."""
    stack = [root]
    while stack:
        element = stack.pop()
        name = _local(element)
        if name in _OPAQUE:
            continue
        yield element, name
        stack.extend(child for child in element if isinstance(child.tag, str))


def _copy_without_bulk(root: etree._Element, size: int) -> etree._Element:
    """A copy of ``root`` without the text of its attachments (childless _BULK_TEXT
    elements outside any Signature): the text ``_Copy._prepare`` would empty anyway.

    Node for node the same tree otherwise (``_Copy`` pairs the nodes of both in order),
    with the same attributes and namespaces in scope. Elements are copied one by one
    (lxml copies a subtree only whole, text included, and moving a copied subtree
    under a new parent may drop the namespace prefixes it declares), so a package of
    ``size`` < ``_COPY_WHOLE_BELOW`` bytes, or without attachments, is copied whole:
    that is twice as fast.
    """
    if size < _COPY_WHOLE_BELOW:
        return copy.deepcopy(root)
    bulk = {element for element, name in _outside_signatures(root)
            if name in _BULK_TEXT and len(element) == 0}
    if not bulk:
        return copy.deepcopy(root)
    twin = root.makeelement(root.tag, root.attrib, nsmap=root.nsmap)
    _copy_children(root, twin, bulk)
    return twin


def _copy_children(element: etree._Element, twin: etree._Element,
                   bulk: set[etree._Element]) -> None:
    """Top down, so that each element's namespaces are declared where it is created."""
    if element not in bulk:
        twin.text = element.text
    for child in element:
        if isinstance(child.tag, str):
            child_twin = etree.SubElement(twin, child.tag, child.attrib, nsmap=child.nsmap)
            _copy_children(child, child_twin, bulk)
            child_twin.tail = child.tail
        else:
            twin.append(copy.deepcopy(child))  # a comment or PI, its tail included


# ---------------------------------------------------------------- validation passes

_ERROR_RE = re.compile(
    r"^Element '(?P<tag>[^']+)'(?:, attribute '(?P<attribute>[^']+)')?: (?P<text>.*)$", re.S
)
_EXPECTED_RE = re.compile(r"Expected is (?:one of )?\( (?P<names>.*) \)")
_STRUCTURAL = "SCHEMAV_ELEMENT_CONTENT"


@dataclass
class _Error:
    """One libxml2 error, tied back to the element of the copy it speaks of."""

    line: int | None  # the sender's line
    type_name: str
    element: etree._Element | None
    attribute: str | None
    text: str


def check_schema(parsed: ParsedXml) -> list[Problem]:
    """Every XSD violation of ``parsed``, in words that say what to change."""
    schema = schema_for(parsed.kind)
    if schema.validate(parsed.tree):
        # Valid as sent: then it is in standard order and has no element in a foreign
        # namespace outside its Signature (the only wildcards), so the copy below would be
        # the same tree and find nothing. Most packages are valid; the copy cost 25x this.
        return []
    return _check_on_copy(parsed, schema)


def _check_on_copy(parsed: ParsedXml, schema: etree.XMLSchema) -> list[Problem]:
    """Every violation, found on the order-normalised copy, pass after pass."""
    tree = _Copy(parsed.tree, child_order(parsed.kind), len(parsed.data))
    problems = {(p.rule_id, p.line, p.message): p for p in tree.problems}
    valued: set[int] = set()  # elements already given a value problem (one each is enough)
    for _ in range(_MAX_PASSES):
        if schema.validate(tree.root):
            break
        repairs = []
        for error in _errors(schema.error_log, tree):
            if error.type_name != _STRUCTURAL and error.element is not None:
                if id(error.element) in valued:
                    continue
                valued.add(id(error.element))
            problem, repair = _explain(error, tree)
            problems.setdefault((problem.rule_id, problem.line, problem.message), problem)
            if repair is not None:
                repairs.append(repair)
        for repair in repairs:
            repair()
        if not repairs:
            break
    return list(problems.values())


def _errors(log: etree._ListErrorLog, tree: _Copy) -> Iterator[_Error]:
    """Errors of the last pass; those about placeholders (line 0) are echoes of reported ones."""
    for entry in log:
        if not entry.line:
            continue
        line = tree.lines[entry.line] if entry.line < len(tree.lines) else None
        match = _ERROR_RE.match(entry.message)
        if match is None:
            yield _Error(line, entry.type_name, None, None, entry.message)
            continue
        element = tree.find(entry.line, match["tag"])
        yield _Error(line, entry.type_name, element, match["attribute"], match["text"])


# ---------------------------------------------------------------- explaining one error


def _explain(error: _Error, tree: _Copy) -> tuple[Problem, Callable[[], None] | None]:
    """The Problem for ``error`` and, for a structural one, how to repair the copy."""
    element = error.element
    if element is None:
        return Problem("EDX-XSD-009", _clean(error.text), error.line), None
    name = etree.QName(element).localname
    if error.type_name == _STRUCTURAL:
        return _explain_structure(error, tree)
    if error.attribute is not None:
        if "is not allowed" in error.text:
            text = f"{name} has the attribute {error.attribute!r}, which edXML does not allow;"
            return Problem("EDX-XSD-005", f"{text} remove it", error.line), None
        return Problem("EDX-XSD-005", f"{name}: {_clean(error.text)}; correct the attribute"
                       f" {error.attribute!r}", error.line), None
    if error.type_name == "SCHEMAV_CVC_COMPLEX_TYPE_2_3":
        stray = next((t for t in [element.text, *(c.tail for c in element)] if t and t.strip()),
                     "")
        return Problem("EDX-XSD-006", f"{name} contains the text {_short(stray)} where only"
                       " elements are allowed; remove the text", error.line), None
    if error.type_name == "SCHEMAV_CVC_TYPE_3_1_2":
        return Problem("EDX-XSD-006", f"{name} contains elements but must hold only text;"
                       " remove the elements inside it", error.line), None
    return _explain_value(error, name), None


def _explain_value(error: _Error, name: str) -> Problem:
    value = "".join(error.element.itertext())
    text = error.text
    if "[facet 'maxLength']" in text:
        limit = re.search(r"maximum length of '(\d+)'", text)
        return Problem("EDX-XSD-004", f"{name} is {len(value)} characters long; the standard"
                       f" allows at most {limit[1] if limit else '?'}: shorten it", error.line)
    if "[facet 'enumeration']" in text:
        allowed = ", ".join(re.findall(r"'([^']*)'", text.partition("{")[2]))
        return Problem("EDX-XSD-003", f"{name} {_short(value)} is not allowed; use one of"
                       f" {allowed}", error.line)
    if "[facet 'pattern']" in text:
        pattern = re.search(r"pattern '(.*)'\.$", text)
        wanted = _PATTERN_WORDS.get(pattern[1] if pattern else "", "in the form the standard"
                                    " requires")
        return Problem("EDX-XSD-003", f"{name} {_short(value)} is not {wanted}; correct it",
                       error.line)
    if "is not a valid value of" in text:
        return Problem("EDX-XSD-003", f"{name} {_short(value)} is not a valid value for {name};"
                       " correct it", error.line)
    return Problem("EDX-XSD-009", f"{name}: {_clean(text)}", error.line)


def _explain_structure(error: _Error, tree: _Copy) -> tuple[Problem, Callable[[], None]]:
    element = error.element
    expected = _expected(error.text)
    if error.text.startswith("Missing child element"):
        return _missing(element, expected[-1] if expected else "?", tree)
    parent = element.getparent()
    order = tree.orders.get(_local(parent), ())
    name = _local(element)
    if (name in order and expected and expected[-1] in order
            and order.index(expected[-1]) < order.index(name)):
        return _missing(parent, expected[-1], tree)
    qname = etree.QName(element)
    where = etree.QName(parent).localname
    if name in order:
        text = f"{name} appears more than once in {where}; the standard allows one, remove the rest"
    else:
        text = (f"{qname.localname} is not allowed in {where}; remove it or correct its name"
                f" ({where} may contain {', '.join(order) or 'no elements'})")
    return Problem("EDX-XSD-002", text, error.line), lambda: tree.remove(element)


def _missing(parent: etree._Element, missing: str, tree: _Copy) -> tuple[Problem, Callable]:
    where = etree.QName(parent).localname
    problem = Problem("EDX-XSD-001", f"{where} lacks the required element {missing}; add"
                      f" <{missing}> inside <{where}>", tree.line_of(parent))
    return problem, lambda: tree.add(parent, missing)


def _expected(text: str) -> list[str]:
    match = _EXPECTED_RE.search(text)
    if match is None:
        return []
    names = [item.rpartition("}")[2] for item in match["names"].split(", ")]
    return ["Signature" if name == "*" else name for name in names]


def _short(value: str | None, limit: int = 60) -> str:
    value = (value or "").strip()
    return repr(value if len(value) <= limit else value[:limit] + "...")


def _clean(text: str) -> str:
    """Drop lxml's ``{namespace}`` noise from a validator message."""
    return re.sub(r"\{[^}]*\}", "", text).strip()
