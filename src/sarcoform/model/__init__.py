"""Types at the boundary: food tables, briefs (constraint sets) and results.

No solver and no file format is imported here.
"""
