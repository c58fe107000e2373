"""Types at the boundary: food tables, briefs and results.

No solver and no file format is imported here.
"""
