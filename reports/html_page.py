"""The report as one self-contained HTML page: inline CSS, no script, no external asset, every text escaped."""

from __future__ import annotations

from html import escape

from .cells import NONE, Chart, Paragraph, Report, Section, Table

CSS = """
body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; color: #111; background: #fff;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; margin-top: 2.5rem; border-bottom: 2px solid #333; padding-bottom: 0.2rem; }
.subtitle { font-size: 1.1rem; margin-top: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.summary { font-size: 1.02rem; }
.table { overflow-x: auto; margin: 1.2rem 0; }
table { border-collapse: collapse; font-size: 0.9rem; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.3rem; }
th, td { border: 1px solid #999; padding: 0.2rem 0.5rem; vertical-align: top; }
thead th { background: #e6e6e6; text-align: left; }
tbody th { text-align: left; font-weight: normal; }
td { text-align: right; white-space: nowrap; }
td.text { text-align: left; white-space: normal; }
tr.total th, tr.total td { font-weight: bold; border-top: 2px solid #333; }
td.suppressed { font-style: italic; }
.note, .legend, figcaption { font-size: 0.85rem; color: #333; }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ccc; }
@media print { body { max-width: none; margin: 0; } h2 { break-after: avoid; } figure, tr { break-inside: avoid; } }
"""


def _e(text: str) -> str:
    return escape(text, quote=True)


def _legend(report: Report, marks: set[str]) -> str:
    used = [f"„{_e(m)}“ {_e(what)}" for m, what in report.legend if m in marks]
    return f'<p class="legend">{"; ".join(used)}.</p>' if used else ""


def _table(report: Report, table: Table) -> str:
    head = "".join(f'<th scope="col">{_e(c)}</th>' for c in (table.corner, *table.columns))
    body = []
    for row in table.rows:
        cells = []
        for cell in row.cells:
            is_text = cell.value is None and cell.text not in (NONE, "")
            cls = "suppressed" if cell.suppressed else ("text" if is_text else "")
            cells.append(f'<td class="{cls}">{_e(cell.text)}</td>' if cls else f"<td>{_e(cell.text)}</td>")
        attr = ' class="total"' if row.total else ""
        body.append(f'<tr{attr}><th scope="row">{_e(row.header)}</th>{"".join(cells)}</tr>')
    note = f'<p class="note">{_e(table.note)}</p>' if table.note else ""
    return (f'<div class="table" id="tabelle-{_e(table.slug)}"><table><caption>{_e(table.title)}</caption>'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>{note}'
            f"{_legend(report, table.marks())}</div>")


def _chart(chart: Chart) -> str:
    return (f'<figure id="bild-{_e(chart.slug)}"><img src="charts/{_e(chart.slug)}.png" alt="{_e(chart.title)}">'
            f'<figcaption><strong>{_e(chart.title)}.</strong> {_e(chart.caption)}'
            "</figcaption></figure>")


def _section(report: Report, section: Section, number: str, extra: str = "") -> str:
    parts = [f'<section id="{_e(section.slug)}"><h2>{_e(number)}{_e(section.title)}</h2>']
    if section.summary:
        parts.append(f'<p class="summary">{_e(" ".join(section.summary))}</p>')
    for block in section.blocks:
        if isinstance(block, Table):
            if block.in_document:
                parts.append(_table(report, block))
        elif isinstance(block, Chart):
            parts.append(_chart(block))
        elif isinstance(block, Paragraph):
            parts.append(f"<p>{_e(block.text)}</p>")
    parts.append(extra + "</section>")
    return "\n".join(parts)


def render_html(report: Report) -> str:
    facts = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in report.facts)
    toc = "".join(f'<li><a href="#{_e(s.slug)}">{_e(s.title)}</a></li>'
                  for s in (*report.sections, report.methods))
    legend = "".join(f'<tr><th scope="row">{_e(m)}</th><td class="text">{_e(what)}</td></tr>'
                     for m, what in report.legend)
    sections = "\n".join(_section(report, s, f"{i}. ") for i, s in enumerate(report.sections, 1))
    legend_table = (f'<div class="table"><table><caption>Zeichen in den Tabellen</caption><thead><tr>'
                    f'<th scope="col">Zeichen</th><th scope="col">Bedeutung</th></tr></thead><tbody>{legend}'
                    "</tbody></table></div>")
    methods = _section(report, report.methods, "", legend_table)
    return (f'<!DOCTYPE html>\n<html lang="de">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_e(report.title)} – {_e(report.subtitle)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f'<header><h1>{_e(report.title)}</h1><p class="subtitle">{_e(report.subtitle)}</p>'
            f'<dl class="facts">{facts}</dl></header>\n'
            f'<nav aria-label="Inhalt"><h2>Inhalt</h2><ol>{toc}</ol></nav>\n{sections}\n{methods}\n</body>\n</html>\n')
