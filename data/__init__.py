"""The data layer: models, sessions, calendar, deadline rules, workflows, importers, queries.

Nothing in this package imports Dash; pages, callbacks, jobs and the CLI all call into it.
"""
