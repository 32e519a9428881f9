"""The Italian web interface: server-rendered pages over the same services as the JSON API."""
