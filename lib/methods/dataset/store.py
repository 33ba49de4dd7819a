"""The Parquet data set of a batch job (pyarrow only; no Ray needed to read it).

An output folder holds
    rows/part-*.parquet     one row per (video, task, setting) that worked: identity, settings, numbers
    errors/part-*.parquet   one row per (video, task, setting) that failed: identity, settings, `error` sentence
    artifacts/<task>/...    NPZ arrays and PNG pictures (with --save-artifacts); rows point to them
    command.txt             the command lines that wrote it
Parts are written as rows arrive (a killed job keeps what it flushed) and compacted into one file per table at
the end of a job. Parts may differ in columns (tasks differ); reading promotes them to one schema.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from pathlib import Path

TABLES = ("rows", "errors")


def _parts(folder: Path, table: str) -> list[Path]:
    return sorted((folder / table).glob("*.parquet"))


def read_table(source: str | Path, table: str = "rows"):
    """A pyarrow Table of every part of `table` under an output folder (or one .parquet file itself);
    an empty table when there is none."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = Path(source)
    files = [source] if source.suffix == ".parquet" else _parts(source, table)
    tables = [pq.read_table(f) for f in files]
    if not tables:
        return pa.table({})
    return pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]


def done_keys(folder: str | Path) -> set[str]:
    """The `key` of every row and error already written (what a resumed job skips)."""
    keys: set[str] = set()
    for table in TABLES:
        for part in _parts(Path(folder), table):
            import pyarrow.parquet as pq

            keys.update(pq.read_table(part, columns=["key"]).column("key").to_pylist())
    return keys


def write_part(folder: str | Path, table: str, records: Iterable[dict]) -> Path | None:
    """Write `records` (dicts) as one new part of `table`; None when there is nothing to write."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = list(records)
    if not records:
        return None
    names = list(dict.fromkeys(name for record in records for name in record))
    columns = {name: [record.get(name) for record in records] for name in names}
    target = Path(folder) / table
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"part-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.parquet"
    tmp = path.with_suffix(".tmp")
    pq.write_table(pa.table(columns), tmp, compression="zstd")
    tmp.rename(path)  # a reader never sees half a part
    return path


def compact(folder: str | Path) -> None:
    """Merge each table's parts into one part (same rows); a no-op for a table with one part or none."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    for table in TABLES:
        parts = _parts(folder, table)
        if len(parts) < 2:
            continue
        merged = read_table(folder, table)
        path = folder / table / f"part-{time.strftime('%Y%m%d-%H%M%S')}-all.parquet"
        tmp = path.with_suffix(".tmp")
        pq.write_table(merged, tmp, compression="zstd")
        tmp.rename(path)
        for part in parts:
            part.unlink()
