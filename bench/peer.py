#!/usr/bin/env python3
"""The peer comparison: the bureau corpus's tables made with polars or pandas instead of yearbook.

    python3 bench/peer.py polars|pandas DIR

DIR is a corpus written by `bench_corpus bureau-...` (its workbooks are in DIR/data). Every sheet
of every workbook is read (header on the third row), the 合计 row and the note lines are dropped
by keeping the rows whose 序号 is a number, and the rows are grouped by year as the corpus
pipeline's tables for these three datasets do: projects of 5000万元 or more by 建设性质 (count,
总投资, 本年完成投资, 开复工率) and by 行业类别; subsidies by 补助类型 and by 街道 (户数, 金额);
tax relief by 税种. polars reads through fastexcel (calamine), pandas with its calamine engine.
Versions are pinned in bench/requirements.txt.
"""

import pathlib
import sys

HEADER_ROW = 2  # title, unit line, header
SHEETS = {"投资": "investment", "补贴": "subsidy", "税收": "tax"}


def with_polars(files):
    import polars as pl

    parts = {name: [] for name in SHEETS.values()}
    for path in files:
        sheets = pl.read_excel(
            path, sheet_id=0, engine="calamine", read_options={"header_row": HEADER_ROW}
        )
        for sheet, frame in sheets.items():
            numbered = pl.col("序号").cast(pl.String).str.contains(r"^\d+(\.0+)?$")
            parts[SHEETS[sheet]].append(frame.filter(numbered))
    data = {k: pl.concat(v, how="diagonal_relaxed") for k, v in parts.items()}
    inv = data["investment"].filter(pl.col("总投资") >= 5000)
    started = pl.col("开复工情况").is_in(["已开工", "已复工"])
    tables = [
        inv.group_by("年份", "建设性质").agg(
            pl.len().alias("项目个数"),
            pl.col("总投资").sum(),
            pl.col("本年完成投资").sum(),
            (started.sum() / pl.len() * 100).alias("开复工率"),
        ),
        inv.group_by("年份", "行业类别").agg(pl.len().alias("项目个数"), pl.col("总投资").sum()),
    ]
    for by in ("补助类型", "街道"):
        tables.append(
            data["subsidy"]
            .group_by("年份", by)
            .agg(pl.col("补助户数").sum(), pl.col("补助金额").sum())
        )
    tables.append(
        data["tax"]
        .group_by("年份", "税种")
        .agg(pl.col("减免退税额").sum(), pl.col("上年同期").sum())
    )
    return [t.sort(t.columns[:2]) for t in tables]


def with_pandas(files):
    import pandas as pd

    parts = {name: [] for name in SHEETS.values()}
    for path in files:
        sheets = pd.read_excel(path, sheet_name=None, header=HEADER_ROW, engine="calamine")
        for sheet, frame in sheets.items():
            numbered = frame["序号"].astype(str).str.fullmatch(r"\d+(\.0+)?")
            parts[SHEETS[sheet]].append(frame[numbered])
    data = {k: pd.concat(v, ignore_index=True) for k, v in parts.items()}
    inv = data["investment"]
    inv = inv[pd.to_numeric(inv["总投资"]) >= 5000].assign(
        started=lambda f: f["开复工情况"].isin(["已开工", "已复工"])
    )
    tables = [
        inv.groupby(["年份", "建设性质"]).agg(
            项目个数=("总投资", "size"),
            总投资=("总投资", "sum"),
            本年完成投资=("本年完成投资", "sum"),
            开复工率=("started", "mean"),
        ),
        inv.groupby(["年份", "行业类别"]).agg(项目个数=("总投资", "size"), 总投资=("总投资", "sum")),
    ]
    for by in ("补助类型", "街道"):
        tables.append(data["subsidy"].groupby(["年份", by])[["补助户数", "补助金额"]].sum())
    tables.append(data["tax"].groupby(["年份", "税种"])[["减免退税额", "上年同期"]].sum())
    return tables


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("polars", "pandas"):
        sys.exit("usage: peer.py polars|pandas DIR")
    files = sorted(pathlib.Path(sys.argv[2], "data").glob("*.xlsx"))
    tables = (with_polars if sys.argv[1] == "polars" else with_pandas)(files)
    rows = sum(len(t) for t in tables)
    print(f"{len(files)} workbooks, {len(tables)} tables, {rows} rows")


if __name__ == "__main__":
    main()
