"""审批 on the phone (docs/approvals.md): the rep sees a request's status and the supervisor's comment."""
