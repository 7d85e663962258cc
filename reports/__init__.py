"""The committee report: anonymous figures (queue_rules.figures) as HTML with charts, PDF and CSV."""
