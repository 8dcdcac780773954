"""Tests of bulk import and export."""
