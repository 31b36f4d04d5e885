"""Realistic seized-device samples (synthetic content, real app schemas) and the code that makes them.

Run ``python -m samples.generate`` from the project root to rebuild them; see samples/README.md.
"""
