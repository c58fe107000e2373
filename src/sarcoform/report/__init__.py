"""Human-readable output: terminal summaries, workbooks and charts from results."""
