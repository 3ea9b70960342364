// The interactive part of `swarm graph --format html`: no libraries, no network.
// The run's data is the JSON in #run-data; the graph is Graphviz's SVG whose
// nodes are <g id="node-i"> and edges <g id="edge-j"> (i, j index data.nodes / data.edges),
// or, when the page was made without Graphviz, a simple layout drawn here.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("run-data").textContent);
  const KIND_COLORS = {
    task: "#1f77b4", probe: "#17becf", answer: "#2ca02c", edit_proposal: "#9467bd", check_report: "#bcbd22",
    approval_request: "#e377c2", approval: "#2e7d32", rejection: "#d62728", follow_up: "#ff7f0e",
    done: "#7f7f7f", give_up: "#8c564b",
  };
  const SVG_NS = "http://www.w3.org/2000/svg";
  // An imported run was created after its messages were sent: count from the earliest.
  const start = Math.min(data.run.started_at, ...data.messages.slice(0, 1).map((m) => m.at));
  const byProposal = new Map(data.proposals.map((p) => [p.id, p]));
  const nodeIndex = new Map(data.nodes.map((n, i) => [n.id, i]));

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value; else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }
  function short(address) {
    const at = address.indexOf("::");
    return at < 0 ? address : address.slice(at + 2);
  }
  function offset(at) {
    const s = Math.max(0, at - start);
    const m = Math.floor(s / 60);
    return "+" + String(m).padStart(2, "0") + ":" + (s - 60 * m).toFixed(3).padStart(6, "0");
  }
  function diffBlock(text) {
    const pre = el("pre", { class: "diff" });
    for (const line of text.split("\n")) {
      let cls = null;
      if (line.startsWith("+") && !line.startsWith("+++")) cls = "add";
      else if (line.startsWith("-") && !line.startsWith("---")) cls = "del";
      else if (line.startsWith("@@")) cls = "hunk";
      pre.append(cls ? el("span", { class: cls }, line) : document.createTextNode(line + "\n"));
    }
    return pre;
  }
  function money(value) { return "$" + Number(value || 0).toFixed(4); }

  // ---- header -------------------------------------------------------------
  document.getElementById("run-title").textContent = data.run.title || data.run.id;
  const meta = document.getElementById("run-meta");
  const took = ((data.run.ended_at || Date.now() / 1000) - start);
  meta.append(
    el("span", {}, "run ", el("code", {}, data.run.id)),
    el("span", { class: "badge " + data.run.status, id: "run-status" }, data.run.status),
    el("span", { title: data.run.reason || "" }, (data.run.reason || "").length > 120 ? data.run.reason.slice(0, 119) + "…" : (data.run.reason || "")),
    el("span", {}, data.messages.length + " messages"),
    el("span", {}, data.proposals.length + " proposals"),
    el("span", {}, "patch +" + data.run.patch_added + " −" + data.run.patch_removed),
    el("span", {}, "took " + took.toFixed(1) + "s" + (data.run.ended_at ? "" : " so far")),
    el("span", {}, data.spend.model_calls + " model calls, " + (data.spend.input_tokens + data.spend.output_tokens) + " tokens, " + money(data.spend.cost_usd)),
  );

  // ---- graph --------------------------------------------------------------
  const graph = document.getElementById("graph");
  if (!graph.querySelector("svg")) drawFallback();

  function drawFallback() {
    // Groups as columns (roles first), nodes stacked; straight edges with arrowheads.
    const groups = [];
    for (const node of data.nodes) {
      let group = groups.find((g) => g.name === node.group);
      if (!group) { group = { name: node.group, nodes: [] }; groups.push(group); }
      group.nodes.push(node);
    }
    groups.sort((a, b) => (a.name === "roles" ? -1 : b.name === "roles" ? 1 : a.name.localeCompare(b.name)));
    const W = 220, H = 56, GAP = 90, pos = new Map();
    groups.forEach((g, col) => g.nodes.forEach((n, row) => pos.set(n.id, { x: 20 + col * (W + GAP), y: 40 + row * (H + 30) })));
    const width = 40 + groups.length * (W + GAP), height = 80 + Math.max(1, ...groups.map((g) => g.nodes.length)) * (H + 30);
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", width);
    const defs = document.createElementNS(SVG_NS, "defs");
    defs.innerHTML = '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#555"/></marker>';
    svg.append(defs);
    groups.forEach((g, col) => {
      const label = document.createElementNS(SVG_NS, "text");
      label.setAttribute("x", 20 + col * (W + GAP)); label.setAttribute("y", 24); label.textContent = g.name;
      svg.append(label);
    });
    data.edges.forEach((edge, j) => {
      const a = pos.get(edge.source), b = pos.get(edge.target);
      const g = document.createElementNS(SVG_NS, "g");
      g.setAttribute("id", "edge-" + j); g.setAttribute("class", "edge");
      const path = document.createElementNS(SVG_NS, "path");
      const bend = edge.source === edge.target ? 40 : 12 * (j % 3 - 1);
      path.setAttribute("d", "M" + (a.x + W) + "," + (a.y + H / 2) + " C" + (a.x + W + 40) + "," + (a.y + H / 2 + bend) + " " + (b.x - 40) + "," + (b.y + H / 2 + bend) + " " + b.x + "," + (b.y + H / 2));
      path.setAttribute("fill", "none"); path.setAttribute("stroke", KIND_COLORS[edge.kind] || "#000");
      path.setAttribute("stroke-width", 1 + 1.5 * Math.log2(edge.count)); path.setAttribute("marker-end", "url(#arrow)");
      g.append(path); svg.append(g);
    });
    data.nodes.forEach((node, i) => {
      const p = pos.get(node.id);
      const g = document.createElementNS(SVG_NS, "g");
      g.setAttribute("id", "node-" + i); g.setAttribute("class", "node");
      const rect = document.createElementNS(SVG_NS, "rect");
      rect.setAttribute("x", p.x); rect.setAttribute("y", p.y); rect.setAttribute("width", W); rect.setAttribute("height", H);
      rect.setAttribute("rx", 8);
      rect.setAttribute("fill", { approved: "#c8e6c9", rejected: "#ffcdd2", proposed: "#ffe0b2" }[node.outcome] || (node.kind === "role" ? "#e3f2fd" : "#fff"));
      rect.setAttribute("stroke", "#424242");
      const text = document.createElementNS(SVG_NS, "text");
      text.setAttribute("x", p.x + 8); text.setAttribute("y", p.y + 22); text.textContent = node.label;
      const sub = document.createElementNS(SVG_NS, "text");
      sub.setAttribute("x", p.x + 8); sub.setAttribute("y", p.y + 42); sub.setAttribute("font-size", "11");
      sub.textContent = node.proposals.map((id) => { const v = byProposal.get(id).verdict; return id + (v ? (v.approved ? " ✓" : " ✗") : " …"); }).join("  ");
      g.append(rect, text, sub); svg.append(g);
    });
    graph.append(svg);
  }

  const legend = document.getElementById("legend");
  const kinds = [...new Set(data.edges.map((e) => e.kind))];
  for (const kind of kinds) {
    const swatch = el("i"); swatch.style.background = KIND_COLORS[kind] || "#000";
    legend.append(el("span", {}, swatch, kind));
  }

  function clearSelection() {
    graph.classList.remove("dimmed");
    graph.querySelectorAll(".selected, .related").forEach((n) => n.classList.remove("selected", "related"));
    document.querySelectorAll("tr.msg.selected").forEach((n) => n.classList.remove("selected"));
  }
  function markNode(i, cls) { const g = document.getElementById("node-" + i); if (g) g.classList.add(cls); }
  function markEdge(j, cls) { const g = document.getElementById("edge-" + j); if (g) g.classList.add(cls); }

  function messageItem(m) {
    return el("li", { "data-seq": String(m.seq) },
      el("span", { class: "muted" }, offset(m.at) + " #" + m.seq + " "),
      el("b", { style: "color:" + (KIND_COLORS[m.kind] || "#000") }, m.kind), " ",
      short(m.sender) + " → " + short(m.recipient) + ": ", m.summary,
      m.reply_to ? el("span", { class: "muted" }, " (re #" + m.reply_to + ")") : null);
  }

  function proposalCard(p) {
    const state = p.verdict ? (p.verdict.approved ? "approved" : "rejected") : "";
    const card = el("div", { class: "proposal " + state, "data-proposal": p.id },
      el("div", {}, el("b", {}, p.id), " for ", el("code", {}, p.symbol_id), " by ", p.author || "?", " — ", p.rationale));
    p.checks.forEach((check, n) => {
      const line = el("div", {}, el("span", { class: "muted" }, "checks" + (p.checks.length > 1 ? " #" + (n + 1) : "") + ": "));
      for (const stage of check.stages) {
        line.append(el("span", { class: "stage " + stage.status, title: stage.summary }, stage.name + " " + stage.status));
      }
      card.append(line);
      const failing = check.tests.filter((t) => t.outcome !== "passed");
      if (failing.length) card.append(el("div", { class: "muted" }, failing.map((t) => t.outcome + " " + t.node_id).join("; ")));
      if (check.fixes.length) card.append(el("div", { class: "muted" }, "now passing: " + check.fixes.join(", ")));
    });
    if (p.verdict) {
      card.append(el("div", { class: "verdict " + state },
        (p.verdict.approved ? "✓ approved" : "✗ rejected") + " by " + p.verdict.policy + ": " + p.verdict.reason + (p.applied ? " (applied)" : "")));
    } else {
      card.append(el("div", { class: "muted" }, "no verdict yet (" + p.status + ")"));
    }
    card.append(diffBlock(p.diff || "(no diff recorded)"));
    return card;
  }

  const details = document.getElementById("details");
  function showRun() {
    clearSelection();
    details.replaceChildren(
      el("h2", {}, "Run " + data.run.id),
      el("div", {}, "repo " + data.run.repo + (data.run.base_commit ? " @ " + data.run.base_commit.slice(0, 12) : "")),
      el("h3", {}, "Issue"), el("pre", { class: "issue" }, data.run.issue),
      el("p", { class: "muted" }, "Click a node to see its messages and diffs, an edge for its messages."));
  }
  function showNode(i) {
    const node = data.nodes[i];
    clearSelection();
    graph.classList.add("dimmed");
    markNode(i, "selected"); markNode(i, "related");
    data.edges.forEach((e, j) => {
      if (e.source === node.id || e.target === node.id) {
        markEdge(j, "related");
        markNode(nodeIndex.get(e.source), "related"); markNode(nodeIndex.get(e.target), "related");
      }
    });
    const mine = data.messages.filter((m) => m.sender === node.id || m.recipient === node.id);
    const list = el("ul", { class: "msglist" }, ...mine.map(messageItem));
    details.replaceChildren(
      el("h2", { id: "details-title" }, node.label),
      el("div", { class: "muted" }, node.kind === "role" ? "role" : node.id),
      el("div", {}, "sent " + node.sent + ", received " + node.received),
      el("h3", {}, "Messages (" + mine.length + ")"), list);
    const proposals = data.proposals.filter((p) => p.symbol_id === node.id);
    if (proposals.length) details.append(el("h3", {}, "Proposals"), ...proposals.map(proposalCard));
    for (const m of mine) {
      const row = document.querySelector('tr.msg[data-seq="' + m.seq + '"]');
      if (row) row.classList.add("selected");
    }
    history.replaceState(null, "", "#node=" + encodeURIComponent(node.id));
  }
  function showEdge(j) {
    const edge = data.edges[j];
    clearSelection();
    graph.classList.add("dimmed");
    markEdge(j, "selected"); markEdge(j, "related");
    markNode(nodeIndex.get(edge.source), "related"); markNode(nodeIndex.get(edge.target), "related");
    const seqs = new Set(edge.seqs);
    const mine = data.messages.filter((m) => seqs.has(m.seq));
    details.replaceChildren(
      el("h2", { id: "details-title" }, edge.kind + " ×" + edge.count),
      el("div", {}, short(edge.source) + " → " + short(edge.target)),
      el("ul", { class: "msglist" }, ...mine.map(messageItem)));
    for (const m of mine) {
      const pid = m.proposal_id && byProposal.get(m.proposal_id);
      if (pid && m.kind === "edit_proposal") details.append(proposalCard(pid));
    }
  }

  graph.querySelectorAll("g.node").forEach((g) => {
    const i = Number(g.id.replace("node-", ""));
    g.addEventListener("click", (event) => { event.stopPropagation(); showNode(i); });
  });
  graph.querySelectorAll("g.edge").forEach((g) => {
    const j = Number(g.id.replace("edge-", ""));
    g.addEventListener("click", (event) => { event.stopPropagation(); showEdge(j); });
  });
  graph.addEventListener("click", showRun);

  // ---- timeline, proposals, spend, patch ------------------------------------
  const tbody = document.querySelector("#timeline tbody");
  for (const m of data.messages) {
    const row = el("tr", { class: "msg", "data-seq": String(m.seq) },
      el("td", { class: "at" }, offset(m.at)), el("td", { class: "seq" }, "#" + m.seq),
      el("td", { class: "kind", style: "color:" + (KIND_COLORS[m.kind] || "#000") }, m.kind),
      el("td", {}, short(m.sender) + " → " + short(m.recipient)),
      el("td", {}, m.summary + (m.reply_to ? " (re #" + m.reply_to + ")" : "")));
    row.addEventListener("click", () => {
      const i = nodeIndex.get(m.kind === "edit_proposal" ? m.sender : m.recipient);
      if (i !== undefined) showNode(i);
    });
    tbody.append(row);
  }
  if (!data.messages.length) tbody.append(el("tr", {}, el("td", { colspan: "5", class: "muted" }, "no messages yet")));

  const proposals = document.getElementById("proposals");
  proposals.append(...data.proposals.map(proposalCard));
  if (!data.proposals.length) proposals.append(el("p", { class: "muted" }, "no proposals yet"));

  const spend = document.getElementById("spend");
  const table = el("table", {}, el("tr", {}, el("th", {}, "role"), el("th", {}, "calls"), el("th", {}, "tokens")));
  for (const r of data.spend.by_role) table.append(el("tr", {}, el("td", {}, r.role), el("td", {}, String(r.calls)), el("td", {}, String(r.tokens))));
  spend.append(el("p", {}, data.spend.model_calls + " model calls · " + data.spend.input_tokens + " input + " + data.spend.output_tokens +
    " output tokens · " + money(data.spend.cost_usd) + (data.spend.unpriced_calls ? " (+" + data.spend.unpriced_calls + " unpriced calls)" : "")), table);

  const patch = document.getElementById("patch");
  patch.replaceWith(Object.assign(diffBlock(data.run.patch || "(no patch yet)"), { id: "patch" }));

  const wanted = decodeURIComponent((location.hash.match(/^#node=(.*)$/) || [])[1] || "");
  if (wanted && nodeIndex.has(wanted)) showNode(nodeIndex.get(wanted)); else showRun();
})();
