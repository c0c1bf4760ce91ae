"""Territories (片区) with a description, and the phones that must pull everything again after a rep moved."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Territory(SQLModel, table=True):
    """A named territory. Users and customers name theirs by this name (their `territory` column)."""

    __tablename__ = "territories"

    name: str = Field(primary_key=True, max_length=60)
    description: str | None = Field(default=None, max_length=200)
    created_at: str = Field(max_length=40)
    # The average speed between customers here, for ordering routes; None: the company's ROUTE_SPEED_KMH.
    travel_speed_kmh: float | None = None


class RepResync(SQLModel, table=True):
    """A rep moved to another territory: their phones hold the old territory's records.

    `marker_id` names a change-log row made at the move (a route-plan tombstone only this rep receives, so it
    has a change number after everything the phone could have pulled before the move): a phone whose
    cursor is below that number is answered `resync_required` and pulls everything from 0, which drops
    the old territory's records and brings the new one's.
    """

    __tablename__ = "rep_resyncs"

    user_id: str = Field(primary_key=True, max_length=36)
    marker_id: str = Field(max_length=36)
    moved_at: str = Field(max_length=40)
