"""Read-side queries the pages and reports run (plain indexed SQL, no Python loops over rows)."""
