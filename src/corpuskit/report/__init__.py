"""Reports: the JSON report model and its schema, and the terminal summary."""
