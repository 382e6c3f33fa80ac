"""Consolidation: status per item and agency, charts, XLSX/DOCX/CSV exports."""
