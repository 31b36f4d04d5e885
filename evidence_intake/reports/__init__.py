"""Reports on a case: the custody report (HTML and PDF, English and Thai) and its fonts.

The custody report is built in two steps: :mod:`.model` reads the case (register and ledger) into a
plain data model, and the renderers (:mod:`.html`, :mod:`.pdf`) turn that model into a document. Nothing
here writes to the case except :func:`evidence_intake.reports.custody.generate_custody_report`, which
records the report it wrote as a ledger entry.
"""
