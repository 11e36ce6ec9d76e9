"""Validation of a parsed package: the XSD (structure, shape) plus the standard's rules.

The gateway calls this on every package, 20 MB ones included: the XSDs are
compiled once per process (``schema.schema_for``), and attachment bytes are
walked once, by the base64 rule.
"""

from __future__ import annotations

from .parse import ParsedXml
from .problems import Problem
from .rules import check_rules
from .schema import check_schema

__all__ = ["validate"]

_XSD_VALUE_RULES = frozenset({"EDX-XSD-003", "EDX-XSD-004"})


def validate(parsed: ParsedXml) -> list[Problem]:
    """Every XSD violation and every broken rule of a parsed package, in document order.

    When the XSD and a rule speak of the same element (an OrganId, a date, a
    StatusCode), only the rule's problem is kept: it says more precisely what to change.
    """
    rule_problems = check_rules(parsed)
    ruled = {(p.line, _subject(p)) for p in rule_problems}
    problems = [p for p in check_schema(parsed)
                if p.rule_id not in _XSD_VALUE_RULES or (p.line, _subject(p)) not in ruled]
    unique = list(dict.fromkeys(problems + rule_problems))
    return sorted(unique, key=lambda p: p.line or 0)


def _subject(problem: Problem) -> str:
    """The element a problem is about: every message starts with its name."""
    return problem.message.split(" ", 1)[0].rstrip(":")
