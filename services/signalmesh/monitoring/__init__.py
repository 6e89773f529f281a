"""Watching the signal as a whole (DESIGN §11): history counters, alert rules, reconciliation of
the browser, server and CRM layers, and the report. Pure modules; the store keeps the state."""
