"""The queue core service: the store (event log, bookings, replies), the service that turns commands into
stored events and publications, the MQTT runner, and the database migrations."""
