"""edXML (QCVN 102:2016 + amendment 1:2022): read, write, validate, sign, verify.

The library does no I/O: callers hand it bytes and get models, bytes or problems back.
"""

from .builders import *  # noqa: F403
from .builders import __all__ as _builders_all
from .checker import Checker, CheckResult
from .model import *  # noqa: F403
from .model import __all__ as _model_all
from .parse import ParsedXml, ReaderSettings, parse
from .problems import EdxmlError, InvalidPackage, MalformedPackage, Problem
from .reader import read, read_package, read_status
from .rules import RULES
from .signature import SignatureReport, Signer, Verifier
from .validate import validate
from .writer import write

__all__ = [
    *_model_all,
    *_builders_all,
    "ParsedXml",
    "ReaderSettings",
    "parse",
    "read",
    "read_package",
    "read_status",
    "write",
    "validate",
    "RULES",
    "Checker",
    "CheckResult",
    "Signer",
    "Verifier",
    "SignatureReport",
    "Problem",
    "EdxmlError",
    "MalformedPackage",
    "InvalidPackage",
]
