"""Who owns each customer (客户归属): the public pool (公海), claims, releases, handovers (docs/ownership.md)."""
