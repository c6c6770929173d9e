"""Summary -> Plotly figures as JSON. Imported lazily by dashboard views only: customers never pay for plotly."""
from __future__ import annotations

import plotly.graph_objects as go

from .domain import metrics
from .domain.models import NPS, RATING_SCALES
from .services import Summary

CATEGORY_COLOURS = {"detractor": "#d64545", "passive": "#e0b000", "promoter": "#2f9e44"}
LAYOUT = dict(margin=dict(l=40, r=10, t=10, b=40), height=260, showlegend=False,
              paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")


def _json(figure: go.Figure) -> str:
    """JSON safe to embed in a <script type=application/json> block."""
    return figure.to_json().replace("<", "\\u003c")


def distribution(summary: Summary) -> str:
    question = summary.survey.nps_question
    counts = metrics.distribution(summary.totals, question.id, 0, 10) if question else {}
    figure = go.Figure(go.Bar(
        x=[str(v) for v in counts], y=list(counts.values()),
        marker_color=[CATEGORY_COLOURS[metrics.category(v)] for v in counts],
    ))
    figure.update_layout(**LAYOUT, xaxis_title="0-10", yaxis_title="n")
    return _json(figure)


def trend(summary: Summary) -> str:
    """Weekly NPS with its 95% margin of error drawn as a band."""
    weeks = [w for w, r in summary.weekly.items() if r.n]
    results = [summary.weekly[w] for w in weeks]
    scores = [r.score for r in results]
    upper = [min(100, r.score + r.margin_of_error) for r in results]
    lower = [max(-100, r.score - r.margin_of_error) for r in results]
    figure = go.Figure([
        go.Scatter(x=weeks + weeks[::-1], y=upper + lower[::-1], fill="toself", line=dict(width=0),
                   fillcolor="rgba(11,99,197,0.15)", hoverinfo="skip"),
        go.Scatter(x=weeks, y=scores, mode="lines+markers", line=dict(color="#0b63c5"),
                   customdata=[r.n for r in results], hovertemplate="%{x}: NPS %{y:.0f} (n=%{customdata})<extra></extra>"),
    ])
    figure.update_layout(**LAYOUT, yaxis=dict(range=[-100, 100], title="NPS"))
    return _json(figure)


def ratings(summary: Summary, lang: str) -> str | None:
    """Mean per CSAT/CES question on a 0-100% of scale axis, so different scales compare."""
    rows = []
    for question in summary.survey.questions:
        if question.type in RATING_SCALES and question.type != NPS:
            result = metrics.rating(summary.totals, question.id, question.type)
            if result.n:
                low, high = RATING_SCALES[question.type]
                rows.append((question.label.get(lang)[:40], result.mean, (result.mean - low) / (high - low) * 100))
    if not rows:
        return None
    figure = go.Figure(go.Bar(
        y=[r[0] for r in rows], x=[r[2] for r in rows], orientation="h", marker_color="#0b63c5",
        text=[f"{r[1]:.2f}" for r in rows], textposition="auto",
    ))
    figure.update_layout(**(LAYOUT | dict(margin=dict(l=220, r=10, t=10, b=40))), xaxis=dict(range=[0, 100], title="%"))
    return _json(figure)
