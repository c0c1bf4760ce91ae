"""`make bench`: RouteCRM's performance figures (client store, sync throughput, server load), in docs/benchmarks.md."""
