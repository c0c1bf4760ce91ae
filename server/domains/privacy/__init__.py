"""Personal data of key persons and customers: export on request, erasure that reaches every device (issue #7)."""
