"""Problems found in a package, and the errors that carry them.

Every problem has a stable rule id (``EDX-...``) so that vendors, the checker
and the gateway's SOAP faults all speak about the same rule in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "EdxmlError", "MalformedPackage", "InvalidPackage"]


@dataclass(frozen=True)
class Problem:
    rule_id: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.rule_id} {self.message}"


class EdxmlError(Exception):
    """Base of edXML errors; ``problems`` lists every rule the input breaks."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or self.__class__.__name__)

    @property
    def rule_ids(self) -> list[str]:
        return [p.rule_id for p in self.problems]


class MalformedPackage(EdxmlError):
    """The bytes cannot be read as an edXML package at all (not XML, unsafe, too big)."""


class InvalidPackage(EdxmlError):
    """The package was read but breaks the schema or the standard's rules."""
