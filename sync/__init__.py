"""The sync protocol (messages, limits) and the client sync engine. Pure except `sync.http`."""
