"""Example evidence-intake plugin: Samsung logs provider parser."""
