"""What an arkaden process needs from the machine it runs on: systemd readiness and watchdog, journald-friendly
logs, package data as files on disk, and the site file read from disk."""
