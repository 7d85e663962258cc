"""Ticket slips: what goes on one, how it is rendered to a 1-bit image, and the printers that print it."""
