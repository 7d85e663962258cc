"""The web server: the counsellors' desk page, the client's phone page and a public board, over MQTT."""
