"""What every arkaden process on the site network shares: the broker login (device bundles), the one way to
make an MQTT client, the device link (request/response, presence with a Last Will), systemd notifications and
journald-friendly logs."""
