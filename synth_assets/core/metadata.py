"""Asset metadata helpers: row counts, column schemas, markdown previews and small PNG plots."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import dagster as dg
import polars as pl
import pyarrow as pa


def column_schema(schema: pa.Schema, descriptions: Mapping[str, str] | None = None) -> dg.TableSchema:
    descriptions = descriptions or {}
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=f.name, type=str(f.type), description=descriptions.get(f.name))
            for f in schema
        ]
    )


def markdown_preview(frame: pl.DataFrame, rows: int = 8) -> dg.MarkdownMetadataValue:
    head = frame.head(rows)
    header = "| " + " | ".join(head.columns) + " |"
    rule = "| " + " | ".join("---" for _ in head.columns) + " |"
    lines = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in head.iter_rows()]
    return dg.MetadataValue.md("\n".join([header, rule, *lines]))


PREVIEW_CELL_CHARS = 60


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= PREVIEW_CELL_CHARS else text[:PREVIEW_CELL_CHARS - 1] + "…"


def table_metadata(schema: pa.Schema, rows: int, preview: pl.DataFrame | None = None,
                   descriptions: Mapping[str, str] | None = None) -> dict[str, object]:
    metadata: dict[str, object] = {
        "dagster/row_count": dg.MetadataValue.int(rows),
        "dagster/column_schema": column_schema(schema, descriptions),
    }
    if preview is not None:
        metadata["preview"] = markdown_preview(preview)
    return metadata


def line_plot(x: Sequence[float], series: Mapping[str, Sequence[float]], *, title: str,
              xlabel: str, ylabel: str) -> dg.MarkdownMetadataValue:
    """A small line chart embedded in markdown as a base64 PNG, which the Dagster UI displays."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.0), dpi=80)
    try:
        for label, ys in series.items():
            ax.plot(x, ys, label=label, linewidth=1.3)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if 1 < len(series) <= 12:
            ax.legend(fontsize=7, ncol=2, loc="upper left", frameon=False)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    finally:
        plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return dg.MetadataValue.md(f"![{title}](data:image/png;base64,{encoded})")
