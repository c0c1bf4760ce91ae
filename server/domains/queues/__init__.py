"""Work queues (待办): what waits for a supervisor (open complaints, unreviewed conflicts, recently refused ops,
recently flagged check-ins), counted and listed across the complaints, sync and visits tables."""
