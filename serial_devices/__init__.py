"""USB serial devices: a line port that finds its device and reconnects, and the kiosk's scanner on it."""
