"""XML namespaces used by edXML."""

EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
EDXML_PREFIX = "edXML"


def edxml(local: str) -> str:
    """Clark notation ``{ns}local`` for an edXML element."""
    return f"{{{EDXML_NS}}}{local}"
