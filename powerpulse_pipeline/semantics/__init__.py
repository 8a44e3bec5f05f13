"""The semantic layer (DESIGN.md section 9): every metric, dimension and filter once.

The analysts' macros and views (warehouse/schema.py), the metric tables, the dashboard, the
explorer and every answer to a question compile from these definitions, so no figure can
differ between them.
"""
