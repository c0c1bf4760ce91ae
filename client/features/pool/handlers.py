"""The pool feature's handlers (认领, 释放到公海, the 公海 list); the shell is reached through `Shell`."""

from __future__ import annotations

from collections.abc import Callable

from client.features.pool.service import claim, pool_customers, release
from client.services import AppService
from client.shell.protocol import Shell
from client.shell.state import Screen
from client.storage.store import InvalidRecord
from shared.i18n import t


class PoolHandlers:
    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.service = shell.service

    def claim_customer(self, customer_id: str) -> None:
        self._change_owner(claim, customer_id, "client.pool.claimed")

    def release_customer(self, customer_id: str) -> None:
        self._change_owner(release, customer_id, "client.pool.released")

    def _change_owner(self, change: Callable[[AppService, str], object], customer_id: str, notice: str) -> None:
        with self.shell.ui:
            try:
                change(self.service, customer_id)
            except InvalidRecord:  # pragma: no cover - the fields are the phone's own
                notice = "client.pool.failed"
            self.shell.show(Screen.CUSTOMER, customer_id, notice=t(notice, self.shell.state.lang))

    def open_pool(self) -> None:
        self.shell.go(Screen.POOL)

    def search_pool(self, text: str) -> None:
        with self.shell.ui:
            self.shell.state.pool_text = text
            self.shell.state.pool_results = pool_customers(self.service, text)
