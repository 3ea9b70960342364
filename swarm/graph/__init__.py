"""The conversation graph of a run: a model built from the run log, and its renderers.

    model.py   build_graph(snapshot) -> RunGraph: participants, message edges, proposals, spend
    text.py    render_text(graph, width=80): the terminal view
    dot.py     render_dot(graph): Graphviz DOT
    svg.py     render_svg(graph): DOT laid out by `dot -Tsvg`
    html.py    render_html(graph): one self-contained interactive page (page.html, page.js, page.css)
    serve.py   serve_html(...): the page over loopback HTTP, regenerated per request
"""
