"""Gate check-in: entrances, scans of ticket codes, admission once per session, offline sync."""
