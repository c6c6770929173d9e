"""Summary -> Plotly figures as JSON. Imported lazily by dashboard views only: customers never pay for plotly."""
from __future__ import annotations

import textwrap

import plotly.graph_objects as go

from .domain import metrics
from .domain.metrics import TOP2_FLOOR
from .domain.themes import THEME_LABELS
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
    """NPS by week or month with its 95% margin of error drawn as a band."""
    weeks = [w for w, r in summary.trend.items() if r.n]
    results = [summary.trend[w] for w in weeks]
    scores = [r.score for r in results]
    upper = [min(100, r.score + r.margin_of_error) for r in results]
    lower = [max(-100, r.score - r.margin_of_error) for r in results]
    figure = go.Figure([
        go.Scatter(x=weeks + weeks[::-1], y=upper + lower[::-1], fill="toself", line=dict(width=0),
                   fillcolor="rgba(11,99,197,0.15)", hoverinfo="skip"),
        go.Scatter(x=weeks, y=scores, mode="lines+markers", line=dict(color="#0b63c5"),
                   customdata=[r.n for r in results], hovertemplate="%{x}: NPS %{y:.0f} (n=%{customdata})<extra></extra>"),
    ])
    figure.update_layout(**LAYOUT, yaxis=dict(range=[-110, 110], title="NPS", automargin=True),
                         xaxis=dict(automargin=True))
    return _json(figure)


def ratings(summary: Summary, lang: str) -> str | None:
    """Top-2-box share per CSAT/CES question: one 0-100% axis whatever each question's scale."""
    rows = []
    for question in summary.survey.questions:
        if question.type in TOP2_FLOOR:
            result = metrics.rating(summary.totals, question.id, question.type)
            if result.n:
                rows.append((_wrapped(question.label.get(lang)), result.top2_pct))
    if not rows:
        return None
    figure = go.Figure(go.Bar(
        y=[r[0] for r in rows], x=[r[1] for r in rows], orientation="h", marker_color="#0b63c5",
        text=[f"{r[1]:.0f}%" for r in rows], textposition="auto",
    ))
    figure.update_layout(**LAYOUT, xaxis=dict(range=[0, 100], title="top-2-box %"),
                         yaxis=dict(autorange="reversed", automargin=True))
    return _json(figure)


def _wrapped(label: str, width: int = 22) -> str:
    """Whole labels on short lines: truncating made similar questions collapse into one bar."""
    return "<br>".join(textwrap.wrap(label, width)[:4])


def themes(summary: Summary, lang: str) -> str | None:
    """Mentions per theme, each bar labelled with the NPS of the customers who raised it."""
    results = summary.themes()
    if not results:
        return None
    names = sorted(results, key=lambda t: -results[t][0])
    figure = go.Figure(go.Bar(
        y=[THEME_LABELS[t].get(lang) for t in names], x=[results[t][0] for t in names], orientation="h",
        marker_color=[_nps_colour(results[t][1].score) for t in names],
        text=[f"NPS {results[t][1].score:+.0f}" if results[t][1].n else "" for t in names], textposition="auto",
    ))
    figure.update_layout(**LAYOUT, xaxis=dict(title="n"), yaxis=dict(autorange="reversed", automargin=True))
    return _json(figure)


def _nps_colour(score: float | None) -> str:
    if score is None:
        return "#9aa3af"
    return CATEGORY_COLOURS["promoter"] if score >= 30 else (
        CATEGORY_COLOURS["passive"] if score >= 0 else CATEGORY_COLOURS["detractor"])
