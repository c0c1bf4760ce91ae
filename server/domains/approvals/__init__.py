"""Approvals (审批, issue #19): requests made by the rules of shared/approvals.py, decided by supervisors."""
