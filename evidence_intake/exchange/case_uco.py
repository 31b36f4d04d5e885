"""The case in the CASE/UCO ontology (JSON-LD), the form partner agencies' tools read.

CASE describes an investigation as *investigative actions* (who did what, with which tool, to which
object, with which result, where and when) and *provenance records* (the exhibit numbers that tie objects
to the case). So: every exhibit becomes a device with its identifiers and a provenance record carrying its
exhibit number; every acquisition an action whose result is an image with its hashes; every extraction an
action whose instruments are the parsers with their versions; every other ledger entry (seizure, seal,
hand-over, storage…) an action on the exhibit, linked to the exhibit's previous action (``wasInformedBy``),
which is the chain of custody. Each action names its ledger entry (number and SHA-256) in an external
reference, so a partner can prove it against the ledger. docs/exchange.md has the full mapping table.

Identifiers are UUIDv5 names derived from the case id and the record, so exporting the same case twice
gives the same graph (forensic rule 4: reproducible outputs).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from chain_of_custody import Entry
from evidence_intake import SOFTWARE, __version__
from evidence_intake.case import Case
from evidence_intake.register import Acquisition, Exhibit, list_exhibits
from evidence_intake.timeutil import iso_utc

CONTEXT: dict[str, str] = {
    "kb": "",  # set per case
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-location": "https://ontology.unifiedcyberontology.org/uco/location/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "uco-vocabulary": "https://ontology.unifiedcyberontology.org/uco/vocabulary/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
DEVICE_CLASS = {
    "phone": "uco-observable:MobilePhone",
    "computer": "uco-observable:Computer",
    "storage": "uco-observable:StorageMedium",
    "sim": "uco-observable:SIMCard",
}
HASH_NAMES = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256", "sha512": "SHA512"}
LEDGER_CONTEXT = "evidence-intake chain-of-custody ledger entry (seq:SHA-256 of the entry)"
# Ledger actions that become their own richer action (acquisition, verification, extraction).
_FOLDED = {"acquisition_completed", "verified", "verification_failed", "extraction_completed"}


def _term(keyword: str) -> str:
    """``uco_core__name`` → ``uco-core:name`` (Python keywords cannot hold the prefix's dash and colon)."""
    prefix, _, local = keyword.partition("__")
    return f"{prefix.replace('_', '-')}:{local}"


def _dt(text: str) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": text}


def _int(value: int) -> dict[str, Any]:
    return {"@type": "xsd:integer", "@value": value}


def _ref(node_id: str) -> dict[str, str]:
    return {"@id": node_id}


class GraphBuilder:
    """Collects nodes with deterministic identifiers; each node is made once."""

    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        self._namespace = uuid.UUID(case_id)
        self.nodes: dict[str, dict[str, Any]] = {}

    def iri(self, kind: str, *key: object) -> str:
        name = "/".join(str(k) for k in (kind, *key))
        return f"kb:{kind}-{uuid.uuid5(self._namespace, name)}"

    def add(self, node_id: str, node_type: str, **properties: Any) -> str:
        if node_id not in self.nodes:
            node: dict[str, Any] = {"@id": node_id, "@type": node_type}
            node.update({_term(k): v for k, v in properties.items() if v not in (None, [], "")})
            self.nodes[node_id] = node
        return node_id

    def hashes(self, owner: str, hashes: Mapping[str, str]) -> list[dict[str, Any]]:
        out = []
        for alg, value in sorted(hashes.items()):
            method = HASH_NAMES.get(alg.lower())
            if method is None or not isinstance(value, str):
                continue
            out.append(
                {
                    "@id": self.iri("Hash", owner, alg),
                    "@type": "uco-types:Hash",
                    "uco-types:hashMethod": method,
                    "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": value.upper()},
                }
            )
        return out

    def person(self, name: str) -> str:
        return self.add(self.iri("Person", name), "uco-identity:Person", uco_core__name=name)

    def location(self, name: str) -> str:
        return self.add(self.iri("Location", name), "uco-location:Location", uco_core__name=name)

    def ledger_reference(self, entry: Entry) -> dict[str, Any]:
        return {
            "@id": self.iri("ExternalReference", entry.seq, entry.entry_hash),
            "@type": "uco-core:ExternalReference",
            "uco-core:definingContext": LEDGER_CONTEXT,
            "uco-core:externalIdentifier": f"{entry.seq}:{entry.entry_hash}",
        }


def _tool(g: GraphBuilder) -> str:
    return g.add(
        g.iri("Tool", SOFTWARE),
        "uco-tool:Tool",
        uco_core__name="evidence-intake",
        uco_tool__version=__version__,
        uco_tool__toolType="digital forensics evidence intake and chain of custody",
    )


def _exhibit(g: GraphBuilder, exhibit: Exhibit) -> tuple[str, str]:
    """The device node and the provenance record that gives it its exhibit number."""
    facets: list[dict[str, Any]] = []
    device_facet: dict[str, Any] = {
        "@id": g.iri("DeviceFacet", exhibit.exhibit_id),
        "@type": "uco-observable:DeviceFacet",
        "uco-observable:deviceType": exhibit.kind,
    }
    if exhibit.make:
        device_facet["uco-observable:manufacturer"] = _ref(
            g.add(
                g.iri("Organization", exhibit.make), "uco-identity:Organization", uco_core__name=exhibit.make
            )
        )
    if exhibit.model:
        device_facet["uco-observable:model"] = exhibit.model
    if exhibit.serial_number:
        device_facet["uco-observable:serialNumber"] = exhibit.serial_number
    facets.append(device_facet)
    if exhibit.imeis:
        facets.append(
            {
                "@id": g.iri("MobileDeviceFacet", exhibit.exhibit_id),
                "@type": "uco-observable:MobileDeviceFacet",
                "uco-observable:IMEI": list(exhibit.imeis),
            }
        )
    notes = [
        f"seal {exhibit.seal_number}" if exhibit.seal_number else "",
        f"phone number {exhibit.phone_number}" if exhibit.phone_number else "",
        f"seized from {exhibit.seized_from}" if exhibit.seized_from else "",
        f"seized at {exhibit.location}" if exhibit.location else "",
    ]
    device = g.add(
        g.iri("Device", exhibit.exhibit_id),
        DEVICE_CLASS.get(exhibit.kind, "uco-observable:Device"),
        uco_core__name=f"{exhibit.exhibit_id}: {exhibit.description}",
        uco_core__description=exhibit.description,
        uco_core__tag=[n for n in notes if n],
        uco_core__hasFacet=facets,
    )
    record = g.add(
        g.iri("ProvenanceRecord", exhibit.exhibit_id),
        "case-investigation:ProvenanceRecord",
        case_investigation__exhibitNumber=exhibit.exhibit_id,
        case_investigation__rootExhibitNumber=[exhibit.exhibit_id],
        uco_core__description=f"exhibit {exhibit.exhibit_id} as seized: {exhibit.description}",
        uco_core__object=[_ref(device)],
    )
    return device, record


def _file(g: GraphBuilder, owner: str, name: str, size: int | None, hashes: Mapping[str, str]) -> str:
    facets: list[dict[str, Any]] = [
        {
            "@id": g.iri("FileFacet", owner, name),
            "@type": "uco-observable:FileFacet",
            "uco-observable:fileName": name,
            **({"uco-observable:sizeInBytes": _int(size)} if size is not None else {}),
        }
    ]
    hash_nodes = g.hashes(f"{owner}/{name}", hashes)
    if hash_nodes:
        facets.append(
            {
                "@id": g.iri("ContentDataFacet", owner, name),
                "@type": "uco-observable:ContentDataFacet",
                "uco-observable:hash": hash_nodes,
                **({"uco-observable:sizeInBytes": _int(size)} if size is not None else {}),
            }
        )
    return g.add(g.iri("File", owner, name), "uco-observable:File", uco_core__hasFacet=facets)


def _acquisition(
    g: GraphBuilder, acq: Acquisition, device: str, record: str, entry: Entry | None, tool: str
) -> tuple[str | None, str]:
    """The acquisition action and the provenance record of its result (the image or preserved copy)."""
    segments = [
        _file(
            g, acq.id, str(s.get("path", "")).rsplit("/", 1)[-1], s.get("size"), {"sha256": str(s["sha256"])}
        )
        for s in acq.segment_hashes
        if isinstance(s, Mapping) and s.get("sha256")
    ]
    content: list[dict[str, Any]] = []
    hash_nodes = g.hashes(acq.id, acq.hashes)
    if hash_nodes or acq.size is not None:
        content.append(
            {
                "@id": g.iri("ContentDataFacet", acq.id),
                "@type": "uco-observable:ContentDataFacet",
                **({"uco-observable:hash": hash_nodes} if hash_nodes else {}),
                **({"uco-observable:sizeInBytes": _int(acq.size)} if acq.size is not None else {}),
            }
        )
    if acq.kind == "physical":
        content.append(
            {
                "@id": g.iri("ImageFacet", acq.id),
                "@type": "uco-observable:ImageFacet",
                "uco-observable:imageType": acq.format,
            }
        )
        result_type = "uco-observable:Image"
    else:
        result_type = (
            "uco-observable:Directory" if acq.format in ("folder", "ios-backup") else "uco-observable:File"
        )
    errors = (
        "unreadable ranges written as zeros: "
        + ", ".join(f"offset {r.get('offset')} length {r.get('length')}" for r in acq.error_map)
        if acq.error_map
        else "every byte was read"
    )
    image = g.add(
        g.iri("Image", acq.id),
        result_type,
        uco_core__name=f"{acq.exhibit} {acq.kind} acquisition {acq.id} ({acq.format})",
        uco_core__description=[f"source: {acq.source}", errors],
        uco_core__hasFacet=content,
    )
    result_record = g.add(
        g.iri("ProvenanceRecord", acq.id),
        "case-investigation:ProvenanceRecord",
        case_investigation__exhibitNumber=f"{acq.exhibit}/{acq.id}",
        case_investigation__rootExhibitNumber=[acq.exhibit],
        uco_core__description=f"{acq.format} copy of exhibit {acq.exhibit}",
        uco_core__object=[_ref(image), *(_ref(s) for s in segments)],
    )
    if acq.status != "completed":
        return None, result_record
    action = g.add(
        g.iri("InvestigativeAction", "acquisition", acq.id),
        "case-investigation:InvestigativeAction",
        uco_core__name="acquisition",
        uco_core__description=f"{acq.kind} acquisition ({acq.format}) of {acq.exhibit}; {errors}",
        uco_action__actionStatus="Success" if not acq.error_map else "Complete/Finish",
        uco_action__startTime=_dt(iso_utc(acq.started_at)),
        uco_action__endTime=_dt(iso_utc(acq.completed_at)) if acq.completed_at else None,
        uco_action__performer=_ref(g.person(acq.examiner)),
        uco_action__instrument=[_ref(tool)],
        uco_action__object=[_ref(record), _ref(device)],
        uco_action__result=[_ref(result_record), _ref(image)],
        uco_core__externalReference=[g.ledger_reference(entry)] if entry else [],
    )
    return action, result_record


def _parser_tools(g: GraphBuilder, parsers: object) -> list[dict[str, str]]:
    if not isinstance(parsers, Mapping):
        return []
    return [
        _ref(
            g.add(
                g.iri("Tool", "parser", name, version),
                "uco-tool:Tool",
                uco_core__name=str(name),
                uco_tool__version=str(version),
                uco_tool__toolType="parser",
            )
        )
        for name, version in sorted(parsers.items())
    ]


def _entry_action(
    g: GraphBuilder,
    entry: Entry,
    *,
    subject: list[dict[str, str]],
    previous: str | None,
    tool: str,
    results: list[dict[str, str]] | None = None,
    instruments: list[dict[str, str]] | None = None,
    status: str | None = None,
) -> str:
    details = entry.details
    occurred = details.get("occurred_at") if isinstance(details.get("occurred_at"), str) else None
    participants = [_ref(g.person(p)) for p in (entry.from_party, entry.to_party) if p]
    notes = [
        entry.reason or "",
        f"seal {details['seal_number']}" if details.get("seal_number") else "",
        f"recorded {entry.timestamp}" if occurred else "",
        f"signed with key {entry.key_id}" if entry.signature else "unsigned",
    ]
    return g.add(
        g.iri("InvestigativeAction", "entry", entry.seq, entry.entry_hash),
        "case-investigation:InvestigativeAction",
        uco_core__name=entry.action,
        uco_core__description=[n for n in notes if n],
        uco_action__actionStatus=status,
        uco_action__startTime=_dt(occurred or entry.timestamp),
        uco_action__performer=_ref(g.person(entry.actor)),
        uco_action__participant=participants,
        uco_action__instrument=instruments if instruments is not None else [_ref(tool)],
        uco_action__location=[_ref(g.location(entry.location))] if entry.location else [],
        uco_action__object=subject,
        uco_action__result=results or [],
        uco_core__externalReference=[g.ledger_reference(entry)],
        case_investigation__wasInformedBy=[_ref(previous)] if previous else [],
    )


def build_graph(case: Case, *, exhibit: str | None, entries: Iterable[Entry]) -> dict[str, Any]:
    """The JSON-LD document: the investigation, its exhibits, acquisitions, extractions and custody chain."""
    s = case.settings
    g = GraphBuilder(s.case_id)
    tool = _tool(g)
    exhibits = [case.exhibit(exhibit)] if exhibit is not None else list_exhibits(case)
    wanted = {e.exhibit_id for e in exhibits}
    devices: dict[str, tuple[str, str]] = {e.exhibit_id: _exhibit(g, e) for e in exhibits}
    entries = [e for e in entries if e.exhibit in wanted]
    completed = {
        str(e.details.get("acquisition_id")): e for e in entries if e.action == "acquisition_completed"
    }
    acquired: dict[str, tuple[str | None, str]] = {}
    latest_copy: dict[str, str] = {}  # exhibit -> provenance record of its last completed acquisition
    for ex in exhibits:
        device, record = devices[ex.exhibit_id]
        for acq in case.acquisitions(ex.exhibit_id):
            acquired[acq.id] = _acquisition(g, acq, device, record, completed.get(acq.id), tool)
            if acquired[acq.id][0] is not None:
                latest_copy[ex.exhibit_id] = acquired[acq.id][1]
    previous: dict[str, str] = {}
    actions: list[str] = []
    for entry in entries:
        assert entry.exhibit is not None
        device, record = devices[entry.exhibit]
        subject = [_ref(record)]
        if entry.action == "acquisition_completed":
            action, _ = acquired.get(str(entry.details.get("acquisition_id")), (None, ""))
            if action is not None:
                if entry.exhibit in previous:
                    g.nodes[action]["case-investigation:wasInformedBy"] = [_ref(previous[entry.exhibit])]
                previous[entry.exhibit] = action
                actions.append(action)
                continue
        acq_id = str(entry.details.get("acquisition_id", ""))
        if entry.action in ("verified", "verification_failed") and acq_id in acquired:
            subject = [_ref(acquired[acq_id][1])]
        status = {"verified": "Success", "verification_failed": "Fail"}.get(entry.action)
        instruments = None
        if entry.action in ("extraction_started", "extraction_completed", "parser_error"):
            if entry.exhibit in latest_copy:
                subject = [_ref(latest_copy[entry.exhibit])]
            instruments = [_ref(tool), *_parser_tools(g, entry.details.get("parsers"))]
            if entry.action == "extraction_completed":
                status = "Success" if entry.details.get("status") == "completed" else "Complete/Finish"
            elif entry.action == "parser_error":
                status = "Error"
                parser = entry.details.get("parser")
                if parser:
                    instruments.append(
                        _ref(
                            g.add(
                                g.iri("Tool", "parser", parser, entry.details.get("parser_version", "")),
                                "uco-tool:Tool",
                                uco_core__name=str(parser),
                                uco_tool__version=str(entry.details.get("parser_version", "")),
                                uco_tool__toolType="parser",
                            )
                        )
                    )
        action = _entry_action(
            g,
            entry,
            subject=subject,
            previous=previous.get(entry.exhibit),
            tool=tool,
            instruments=instruments,
            status=status,
        )
        previous[entry.exhibit] = action
        actions.append(action)
    g.add(
        g.iri("Investigation", s.case_id),
        "case-investigation:Investigation",
        uco_core__name=s.case_number,
        uco_core__description=[s.title, *([f"agency: {s.agency}"] if s.agency else [])],
        case_investigation__focus=["digital forensics: seized devices"],
        uco_core__startTime=_dt(s.created_at),
        uco_core__object=[
            *(_ref(r) for _, r in devices.values()),
            *(_ref(r) for _, r in acquired.values()),
            *(_ref(a) for a in actions),
        ],
    )
    context = dict(CONTEXT, kb=f"urn:evidence-intake:{s.case_id}:")
    return {"@context": context, "@graph": list(g.nodes.values())}


def case_uco_document(case: Case, *, exhibit: str | None, end: int | None = None) -> dict[str, Any]:
    """The graph of the case (or one exhibit) over the ledger entries up to ``end`` (default: all)."""
    if exhibit is not None:
        case.exhibit(exhibit)
    return build_graph(case, exhibit=exhibit, entries=case.ledger.entries(exhibit=exhibit, end=end))
