"""The client sync engine: push the outbox, then pull what changed, through injected callables.

The engine owns no I/O. `push` and `pull` are functions (in the app, `sync.http.HttpSyncApi`; in
tests, the real server in-process or a faulty transport), and the store is anything with the
`SyncStore` methods. Callers must not run two syncs of one store at once (the runner's lock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sync.errors import ClientTooOld, DeviceRevoked, Refused, ResyncRequired, ServerFailed, Unreachable
from sync.protocol import (
    DEFAULT_PULL_LIMIT,
    MAX_OPS_PER_PUSH,
    SCHEMA_VERSION,
    Change,
    Op,
    OpResult,
    OpStatus,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    SigningKey,
)


class SyncStore(Protocol):
    @property
    def device_id(self) -> str: ...

    def pending_ops(self, limit: int) -> list[Op]: ...

    def signing_key(self) -> SigningKey | None:
        """The phone's public key and its first signed op number (sync/chain.py); None: it signs nothing."""
        ...

    def record_results(self, results: Sequence[OpResult]) -> None: ...

    def pull_cursor(self) -> int: ...

    def full_pull_unfinished(self) -> bool:
        """A pull from 0 stopped between pages (a dropped link, the app closed) and may go on from its cursor."""
        ...

    def apply_pull_page(self, changes: Iterable[Change], cursor: int, *, full_pull_pending: bool = False) -> int:
        """Store a page and its cursor; `full_pull_pending`: it belongs to a pull from 0 with more pages to come."""
        ...

    def restart_pull(self) -> None: ...


# The code of a draft made on the phone: the server failed (5xx) on this op each time, while answering others.
SERVER_FAILED = "server_failed"
# Tries of an op alone, each answered 5xx while an empty push between them is answered, before it is a poison
# op: a passing failure (a restart, an overloaded proxy) seldom strikes one request three times in a row.
POISON_TRIES = 3

Push = Callable[[PushRequest], PushResponse]
Pull = Callable[[PullRequest], PullResponse]


class ProtocolViolation(RuntimeError):
    """The server's answer does not fit the request (a bug on one side); the sync stops, nothing is lost."""


@dataclass(frozen=True)
class SyncReport:
    pushed: int = 0  # ops the server acknowledged (applied now or earlier)
    rejected: int = 0  # ops the server refused for good; kept on the device as drafts
    pulled: int = 0  # records changed on the device by the pull


@dataclass(frozen=True)
class SyncProgress:
    """How far a sync has come, reported after each push batch and each stored pull page.

    The server does not say how many changes a pull will bring in all, only whether more pages follow
    (`has_more`): a large first sync shows what was received so far and that more is coming.
    """

    pushed: int = 0  # ops acknowledged so far
    rejected: int = 0  # ops refused for good so far (kept as drafts)
    pages: int = 0  # pull pages received and stored
    received: int = 0  # changes in those pages
    more: bool = False  # the last page said more pages follow


ProgressListener = Callable[[SyncProgress], None]


class SyncEngine:
    def __init__(
        self,
        store: SyncStore,
        push: Push,
        pull: Pull,
        *,
        push_batch: int = MAX_OPS_PER_PUSH,
        pull_limit: int = DEFAULT_PULL_LIMIT,
        full_pull_limit: int | None = None,
        on_progress: ProgressListener | None = None,
    ) -> None:
        self.store = store
        self.push = push
        self.pull = pull
        self.push_batch = push_batch
        self.pull_limit = pull_limit
        # A pull from 0 may ask for larger pages: a first sync of a territory is dozens of pages, each a round
        # trip, which on a village link (300 ms) adds up (docs/benchmarks.md, section 7). None: `pull_limit`.
        self.full_pull_limit = full_pull_limit or pull_limit
        self.on_progress = on_progress

    def run(self) -> SyncReport:
        """One full sync. Raises `sync.errors` exceptions; whatever was acknowledged stays acknowledged.

        A revoked phone (`DeviceRevoked`) first hands over its whole outbox into the server's quarantine."""
        pushed, rejected = self._push_outbox()
        pulled = self._pull_all(SyncReport(pushed, rejected))
        return SyncReport(pushed=pushed, rejected=rejected, pulled=pulled)

    # ---- push -------------------------------------------------------------------------------

    def _push_outbox(self) -> tuple[int, int]:
        pushed = rejected = 0
        revoked: DeviceRevoked | None = None
        while ops := self.store.pending_ops(self.push_batch):
            try:
                results = self._push_isolating(ops)
            except DeviceRevoked as refusal:
                # The phone was revoked: the server kept these ops in quarantine (an admin accepts or drops
                # them). They are delivered, so they leave the outbox; the app wipes once it is empty.
                if set(refusal.quarantined) != {(op.seq, op.op_id) for op in ops}:
                    raise
                delivered = [OpResult(op.seq, op.op_id, OpStatus.APPLIED, refusal.code, "quarantined") for op in ops]
                self.store.record_results(delivered)
                revoked = refusal
                continue
            self.store.record_results(results)
            pushed += sum(result.status is not OpStatus.REJECTED for result in results)
            rejected += sum(result.status is OpStatus.REJECTED for result in results)
            self._progress(SyncProgress(pushed, rejected))
        if revoked is not None:
            raise revoked
        return pushed, rejected

    def _push_isolating(self, ops: list[Op], *, tries: int = POISON_TRIES) -> list[OpResult]:
        """Push `ops`; if the server refuses the batch, split it until the refused ops stand alone.

        The server stores nothing of a refused push, so splitting is safe, and a bad op holds up
        only itself: the others are pushed, the bad one becomes a draft with the server's reason.
        A 5xx is split the same way while the server answers an empty push (it is up, so something in
        the batch makes it fail); an op it still fails on alone, POISON_TRIES times, becomes a draft too
        (a poison op must not jam the outbox). A server that does not answer leaves every op queued.
        """
        try:
            response = self.push(self._push_request(ops))
        except (ClientTooOld, DeviceRevoked):
            raise
        except Refused as refusal:
            if len(ops) == 1:
                return [OpResult(ops[0].seq, ops[0].op_id, OpStatus.REJECTED, refusal.code, refusal.message)]
            return self._split(ops)
        except ServerFailed as failure:
            if not self._server_answers():
                raise  # down or restarting: retry later, the same ops
            if len(ops) > 1:
                return self._split(ops)
            if tries > 1:
                return self._push_isolating(ops, tries=tries - 1)
            message = f"the server failed on this change each of the {POISON_TRIES} times it was sent alone"
            message += f" (HTTP {failure.status})"
            return [OpResult(ops[0].seq, ops[0].op_id, OpStatus.REJECTED, SERVER_FAILED, message)]
        answered = {(result.seq, result.op_id) for result in response.results}
        if answered != {(op.seq, op.op_id) for op in ops}:
            raise ProtocolViolation("the push answer does not name exactly the ops pushed")
        return response.results

    def _push_request(self, ops: list[Op]) -> PushRequest:
        """Every push carries the phone's key: the server registers it the first time (an app updated to sign
        registers it so), and refuses a push naming another key for this phone."""
        return PushRequest(self.store.device_id, SCHEMA_VERSION, ops, self.store.signing_key())

    def _split(self, ops: list[Op]) -> list[OpResult]:
        middle = len(ops) // 2
        first = self._push_isolating(ops[:middle])
        self.store.record_results(first)  # keep what is acknowledged even if the rest fails
        return first + self._push_isolating(ops[middle:])

    def _server_answers(self) -> bool:
        """An empty push (it stores nothing): does the server answer at all?"""
        try:
            self.push(self._push_request([]))
        except Unreachable:
            return False
        return True

    # ---- pull -------------------------------------------------------------------------------

    def _pull_all(self, so_far: SyncReport) -> int:
        pulled = pages = received = 0
        cursor = self.store.pull_cursor()
        # A pull from 0 brings everything, so its pages' cursors may lie below the horizon; so may those of a
        # pull from 0 that a dropped link cut short and that goes on from its last stored page. Without saying
        # so, the server would send that phone back to 0 after every drop, and a weak link would never finish.
        full = cursor == 0 or self.store.full_pull_unfinished()
        while True:
            limit = self.full_pull_limit if full else self.pull_limit
            request = PullRequest(cursor=cursor, schema_version=SCHEMA_VERSION, limit=limit, full=full)
            try:
                page = self.pull(request)
            except ResyncRequired:
                if full:
                    raise ProtocolViolation("the server asked for a full resync of a full pull") from None
                self.store.restart_pull()  # keeps the waiting ops and drafts; the records come again
                cursor, full = 0, True
                continue
            if page.cursor < cursor:
                raise ProtocolViolation(f"the server moved the cursor back from {cursor} to {page.cursor}")
            pulled += self.store.apply_pull_page(page.changes, page.cursor, full_pull_pending=full and page.has_more)
            cursor = page.cursor
            pages += 1
            received += len(page.changes)
            self._progress(SyncProgress(so_far.pushed, so_far.rejected, pages, received, page.has_more))
            if not page.has_more:
                return pulled

    def _progress(self, progress: SyncProgress) -> None:
        if self.on_progress is not None:
            self.on_progress(progress)
