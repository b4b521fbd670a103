"""``<score-timewise>`` MusicXML regrouped as ``<score-partwise>``, the form music21 reads.

MusicXML has two layouts of the same music: partwise (each part holds its
measures) and timewise (each measure holds its parts). The standard ships an
XSLT between them; this is the same regrouping in ElementTree: everything
before the first measure (work, identification, part list...) is kept, then for
each part in part-list order a ``<part>`` gets, measure by measure, a
``<measure>`` with the timewise measure's attributes and that part's contents.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_TIMEWISE_ROOT = re.compile(rb"<score-timewise[\s>]")


def is_timewise(data: bytes) -> bool:
    """Whether the document's root is ``<score-timewise>`` (judged from the prolog, without parsing)."""
    return _TIMEWISE_ROOT.search(data[:65536]) is not None


def timewise_to_partwise(data: bytes) -> bytes:
    """The partwise document of a timewise one (anything else is returned as it is)."""
    if not is_timewise(data):
        return data
    root = ET.fromstring(data)
    if root.tag != "score-timewise":
        return data
    partwise = ET.Element("score-partwise", root.attrib)
    partwise.extend(child for child in root if child.tag != "measure")
    parts: dict[str, ET.Element] = {}
    for score_part in root.iter("score-part"):
        part_id = score_part.get("id", "")
        if part_id not in parts:
            parts[part_id] = ET.SubElement(partwise, "part", id=part_id)
    for measure in root.findall("measure"):
        for part in measure.findall("part"):
            part_id = part.get("id", "")
            if part_id not in parts:  # a part the part list forgot: listed and kept, after the others
                _list_part(partwise, part_id)
                parts[part_id] = ET.SubElement(partwise, "part", id=part_id)
            written = ET.SubElement(parts[part_id], "measure", measure.attrib)
            written.extend(part)
    return ET.tostring(partwise, encoding="utf-8", xml_declaration=True)


def _list_part(partwise: ET.Element, part_id: str) -> None:
    """Add ``part_id`` to the part list (making one if the document has none)."""
    part_list = partwise.find("part-list")
    if part_list is None:
        part_list = ET.Element("part-list")
        partwise.insert(next((i for i, c in enumerate(partwise) if c.tag == "part"), len(partwise)), part_list)
    score_part = ET.SubElement(part_list, "score-part", id=part_id)
    ET.SubElement(score_part, "part-name").text = part_id
