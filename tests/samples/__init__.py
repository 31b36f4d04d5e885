"""Tests of the seized-device samples and their generator."""
