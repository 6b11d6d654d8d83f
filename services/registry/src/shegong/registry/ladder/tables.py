"""The ladder's facts from ``training.events``, per department record (the ladder adds
them up per census person when it decides): completed training and appraisals."""

from __future__ import annotations

from sqlalchemy import Column, Date, Float, MetaData, String, Table

metadata = MetaData()

ladder_training = Table(
    "lr_training",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("session_id", String(64), primary_key=True),
    Column("completed_on", Date, nullable=False),
    Column("hours", Float, nullable=False),
)

ladder_appraisals = Table(
    "lr_appraisals",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("period", String(32), primary_key=True),
    Column("grade", String(32), nullable=False),
    Column("assessed_on", Date, nullable=False),
)
