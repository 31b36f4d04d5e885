"""Exchanging evidence records with partner agencies: CASE/UCO JSON-LD and verifiable bundles.

:mod:`.case_uco` maps the case to the CASE/UCO ontology; :mod:`.bundle` writes an exhibit's package
(records, custody entries with Merkle inclusion proofs against a signed checkpoint, public keys, hashes,
optionally the images) and :mod:`.verify` checks such a package on its own, without the case or a network.
"""
