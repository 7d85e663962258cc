"""The report's sections, one module each: their tables, charts and summary sentences from the period's figures."""
