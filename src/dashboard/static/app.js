// weir dashboard: plain JavaScript, no framework. Every request carries the token from the page's
// URL; every mutating request is a POST with the x-weir-csrf header (a cross-origin form cannot set
// it). Text from runs and items is set with textContent, never parsed as HTML.

const token = new URLSearchParams(location.search).get("token") ?? "";
const main = document.getElementById("main");
const statusLine = document.getElementById("status");
const SVG = "http://www.w3.org/2000/svg";

/** What the current page holds open (an event stream, a timer); closed when the route changes. */
let cleanup = [];

// ---------- helpers ----------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : String(c));
  return el;
}

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : String(c));
  return el;
}

async function api(path, body) {
  const init = { headers: { "x-weir-token": token } };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["x-weir-csrf"] = token;
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error?.message ?? `${res.status} ${res.statusText}`);
  return data;
}

function stream(path, handlers) {
  const sep = path.includes("?") ? "&" : "?";
  const source = new EventSource(`${path}${sep}token=${encodeURIComponent(token)}`);
  for (const [type, fn] of Object.entries(handlers)) source.addEventListener(type, (e) => fn(JSON.parse(e.data)));
  source.onerror = () => setStatus(source.readyState === EventSource.CLOSED ? "stream closed" : "reconnecting…");
  source.onopen = () => setStatus("live");
  cleanup.push(() => source.close());
  return source;
}

function setStatus(text) {
  statusLine.textContent = text;
}

function fmt(n, digits = 0) {
  if (n === undefined || n === null || Number.isNaN(n)) return "–";
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(digits);
}

function pct(x) {
  return x === undefined || x === null ? "–" : `${Math.round(x * 100)}%`;
}

function ms(x) {
  if (x === undefined || x === null) return "–";
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x < 10 ? 2 : 0)} ms`;
}

function when(t) {
  return t === undefined || t === null ? "–" : new Date(t).toLocaleString();
}

function stateBadge(state) {
  return h("span", { class: `state ${state}`, "data-state": state }, state);
}

function errorBox(error) {
  return h("p", { class: "error" }, error instanceof Error ? error.message : String(error));
}

// ---------- routing ----------

function route() {
  for (const fn of cleanup.splice(0)) fn();
  main.replaceChildren();
  setStatus("");
  const hash = location.hash.slice(1) || "/";
  const [path, query = ""] = hash.split("?");
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  for (const a of document.querySelectorAll("[data-nav]"))
    a.classList.toggle("active", a.dataset.nav === (parts[0] === "dead-letters" ? "dead-letters" : "runs"));
  if (parts[0] === "run" && parts[1]) return runPage(parts[1]);
  if (parts[0] === "dead-letters") return deadLettersPage(params);
  return runsPage(params);
}

function go(hash) {
  location.hash = hash;
}

window.addEventListener("hashchange", route);

// ---------- runs ----------

function runsPage(params) {
  const q = h("input", { name: "q", placeholder: "id or name", value: params.get("q") ?? "" });
  const state = h(
    "select",
    { name: "state" },
    ["", "running", "stopping", "completed", "failed", "cancelled", "interrupted"].map((v) =>
      h("option", { value: v, selected: v === (params.get("state") ?? "") }, v === "" ? "any state" : v),
    ),
  );
  const since = h("input", { name: "since", type: "date", value: params.get("since") ?? "" });
  const body = h("tbody");
  const note = h("p", { class: "muted" });
  const form = h(
    "form",
    { class: "filters", onsubmit: (e) => (e.preventDefault(), load()) },
    q,
    state,
    since,
    h("button", {}, "Search"),
  );
  for (const el of [state, since]) el.addEventListener("change", () => load());
  main.append(
    h("h1", {}, "Runs"),
    form,
    h(
      "table",
      { id: "runs" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, "id"),
          h("th", {}, "kind"),
          h("th", {}, "name"),
          h("th", {}, "state"),
          h("th", { class: "num" }, "progress"),
          h("th", { class: "num" }, "rate /s"),
          h("th", { class: "num" }, "errors"),
          h("th", { class: "num" }, "dead letters"),
          h("th", {}, "started"),
          h("th", {}, "ended"),
        ),
      ),
      body,
    ),
    note,
  );
  /** The list's rows by run id, kept from one reload to the next. */
  const rows = new Map();
  async function load() {
    const search = new URLSearchParams();
    if (q.value) search.set("q", q.value);
    if (state.value) search.set("state", state.value);
    if (since.value) search.set("since", since.value);
    try {
      const data = await api(`/api/runs?${search}`);
      const shown = data.runs.map((r) => {
        let row = rows.get(r.id);
        if (row === undefined) rows.set(r.id, (row = runRow(r.id)));
        row.update(r);
        return row.tr;
      });
      const ids = new Set(data.runs.map((r) => r.id));
      for (const id of rows.keys()) if (!ids.has(id)) rows.delete(id);
      // rows stay in the page while they stay in the list: see runRow
      const current = [...body.children];
      if (current.length !== shown.length || current.some((tr, i) => tr !== shown[i])) body.replaceChildren(...shown);
      note.textContent = `${data.runs.length} runs${data.store ? "" : " · no store: live runs of this process only"}`;
    } catch (e) {
      note.replaceChildren(errorBox(e));
    }
  }
  void load();
  const timer = setInterval(load, 2000);
  cleanup.push(() => clearInterval(timer));
}

/**
 * A row of the runs list, made once per run and updated in place at every reload (each 2 s): a
 * click is a press and a release on one element, so a row drawn anew between them would lose it.
 * A cell is only redrawn when what it shows changed.
 */
function runRow(id) {
  const cells = Array.from({ length: 10 }, () => h("td"));
  for (const k of [4, 5, 6, 7]) cells[k].className = "num";
  cells[4].dataset.col = "done";
  const tr = h(
    "tr",
    { class: "clickable", "data-run": id, onclick: () => go(`/run/${encodeURIComponent(id)}`) },
    cells,
  );
  cells[0].append(h("a", { href: `#/run/${encodeURIComponent(id)}` }, id));
  const shows = [];
  const show = (k, key, ...content) => {
    if (shows[k] === key) return;
    shows[k] = key;
    cells[k].replaceChildren(...content);
  };
  return {
    tr,
    update(r) {
      const live = r.source === "live";
      show(1, `${r.kind}${live}`, r.kind, live ? h("span", { class: "muted" }, " · live") : "");
      show(2, r.name, r.name);
      show(3, r.state, stateBadge(r.state));
      // cells 4-9 show text only
      const texts = [
        progress(r),
        fmt(r.rate, 1),
        fmt(r.errors),
        fmt(r.deadLetters),
        when(r.startedAt),
        when(r.endedAt),
      ];
      texts.forEach((text, j) => show(4 + j, text, text));
    },
  };
}

// ---------- one run ----------

async function runPage(id) {
  let detail;
  try {
    detail = await api(`/api/runs/${encodeURIComponent(id)}`);
  } catch (e) {
    main.append(h("h1", {}, id), errorBox(e));
    return;
  }
  const head = h("div");
  main.append(head);
  if (detail.kind === "stored") return storedRunPage(head, detail);
  const view = detail.kind === "pipeline" ? pipelineView(main, detail) : workflowView(main, detail);
  renderHeader(head, detail.summary);
  stream(`/api/runs/${encodeURIComponent(id)}/events`, {
    detail: (d) => {
      renderHeader(head, d.summary);
      view.reset(d);
    },
    update: (u) => {
      renderHeader(head, u.summary);
      view.update(u);
    },
  });
}

/** The parts of each run page's header that updates change in place (see renderHeader). */
const headers = new WeakMap();

/**
 * Draws a run's header, or brings the one already drawn up to date. The Stop and Cancel buttons
 * are made once per page and only enabled or disabled after: an update arrives every `sampleMs`,
 * and a button replaced between a click's mousedown and its mouseup never gets the click.
 */
function renderHeader(head, r) {
  let parts = headers.get(head);
  if (parts === undefined) {
    const stop = h("button", { id: "stop", onclick: () => stopRun(r.id, false) }, "Stop");
    const cancel = h("button", { id: "cancel", class: "danger", onclick: () => stopRun(r.id, true) }, "Cancel");
    parts = { title: h("h1"), cards: h("div", { class: "cards" }), stop, cancel, id: h("span", { class: "muted" }) };
    head.replaceChildren(parts.title, parts.cards, h("div", { class: "actions" }, stop, cancel, parts.id));
    headers.set(head, parts);
  }
  parts.title.replaceChildren(`${r.kind} `, h("span", { id: "run-name" }, r.name), " ", stateBadge(r.state));
  parts.cards.replaceChildren(
    card("progress", progress(r), "done"),
    card("rate /s", fmt(r.rate, 1), "rate"),
    card("errors", fmt(r.errors), "errors"),
    card("dead letters", fmt(r.deadLetters), "dead-letters"),
    card("started", when(r.startedAt)),
    card("ended", when(r.endedAt)),
  );
  parts.stop.disabled = !r.stoppable;
  parts.cancel.disabled = !r.stoppable;
  parts.id.textContent = r.id;
}

/** A run's items done, and of how many when its total is known. */
function progress(r) {
  return r.total === undefined ? fmt(r.done) : `${fmt(r.done)} / ${fmt(r.total)}`;
}

function card(label, value, id) {
  return h("div", { class: "card" }, h("span", { class: "muted" }, label), h("b", { "data-card": id }, value));
}

async function stopRun(id, cancel) {
  try {
    await api(`/api/runs/${encodeURIComponent(id)}/stop`, { cancel });
    setStatus(cancel ? "cancelling…" : "stopping…");
  } catch (e) {
    setStatus(e.message);
  }
}

function storedRunPage(head, d) {
  renderHeader(head, d.summary);
  main.append(
    h(
      "p",
      {},
      h("a", { href: `#/dead-letters?runId=${encodeURIComponent(d.summary.id)}` }, "dead letters of this run"),
    ),
  );
  if (d.error)
    main.append(h("h2", {}, "error"), h("pre", {}, `${d.error.name}: ${d.error.message}\n${d.error.stack ?? ""}`));
  main.append(
    h("h2", {}, "plan"),
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, h("th", {}, "part"), h("th", {}, "fingerprint"))),
      h(
        "tbody",
        {},
        (d.plan ?? []).map((p) => h("tr", {}, h("td", {}, p.name), h("td", { class: "muted" }, p.fingerprint ?? ""))),
      ),
    ),
  );
  if (d.snapshot !== null && d.snapshot !== undefined)
    main.append(h("h2", {}, "last published snapshot"), h("pre", {}, JSON.stringify(d.snapshot, null, 2)));
}

// ---------- pipeline: graph, stage table, throughput charts ----------

function pipelineView(root, detail) {
  const svgBox = h("div", { class: "scroll" });
  const table = h("tbody");
  root.append(
    h("h2", {}, "graph"),
    svgBox,
    h("h2", {}, "stages"),
    h(
      "table",
      { id: "stages" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["stage", "kind", "context"].map((c) => h("th", {}, c)),
          [
            "in",
            "out",
            "rate /s",
            "queue",
            "busy",
            "back-pressured",
            "p50",
            "p99",
            "errors",
            "retries",
            "dead-lettered",
            "workers",
            "lag",
            "redelivered",
          ].map((c) => h("th", { class: "num" }, c)),
          h("th", {}, "throughput"),
        ),
      ),
      table,
    ),
  );
  let cells = new Map();
  let history = { t: [], series: {} };

  function reset(d) {
    history = d.history ?? { t: [], series: {} };
    svgBox.replaceChildren(pipelineGraph(d.plan, d.stages));
    cells = new Map();
    table.replaceChildren(
      ...d.stages.map((st) => {
        const row = { canvas: h("canvas", { class: "spark", width: 320, height: 56 }) };
        const cols = [
          "in",
          "out",
          "rate",
          "queue",
          "busy",
          "bp",
          "p50",
          "p99",
          "errors",
          "retries",
          "deadLettered",
          "workers",
          "lag",
          "redeliveries",
        ];
        for (const c of cols) row[c] = h("td", { class: "num", "data-col": c });
        cells.set(st.name, row);
        return h(
          "tr",
          { "data-stage": st.name },
          h("td", {}, st.name),
          h("td", {}, st.kind),
          h("td", {}, st.context),
          cols.map((c) => row[c]),
          h("td", {}, row.canvas),
        );
      }),
    );
    update(d, true);
  }

  function update(u, initial = false) {
    if (!initial && u.t !== undefined) {
      history.t.push(u.t);
      for (const st of u.stages) (history.series[st.name] ??= []).push(st.rate);
      if (history.t.length > 240) {
        history.t.shift();
        for (const k of Object.keys(history.series)) history.series[k].shift();
      }
    }
    let hottest;
    for (const st of u.stages) {
      const row = cells.get(st.name);
      if (!row) continue;
      row.in.textContent = fmt(st.in);
      row.out.textContent = fmt(st.out);
      row.rate.textContent = fmt(st.rate, 1);
      row.queue.textContent = st.capacity > 0 ? `${st.queueDepth}/${st.capacity}` : "–";
      row.busy.textContent = pct(st.busy);
      row.bp.textContent = pct(st.backPressured);
      row.p50.textContent = ms(st.p50);
      row.p99.textContent = ms(st.p99);
      row.errors.textContent = fmt(st.errors);
      row.retries.textContent = fmt(st.retries);
      row.deadLettered.textContent = fmt(st.deadLettered);
      // a fleet stage's workers are the `weir worker` processes Redis saw; lag and redeliveries are its fleet's
      if (st.fleet) {
        row.workers.textContent = String(st.fleet.workers);
        row.lag.textContent = fmt(st.fleet.lag);
        row.redeliveries.textContent = fmt(st.fleet.redeliveries);
      } else {
        row.workers.textContent = st.workers > 0 ? String(st.workers) : "–";
        row.lag.textContent = "–";
        row.redeliveries.textContent = "–";
      }
      sparkline(row.canvas, history.series[st.name] ?? []);
      if (st.kind !== "source" && (hottest === undefined || st.busy > hottest.busy)) hottest = st;
      updateGraphNode(svgBox, st);
    }
    for (const g of svgBox.querySelectorAll(".stage.hot")) g.classList.remove("hot");
    if (hottest && hottest.busy > 0.5)
      svgBox.querySelector(`[data-node="${CSS.escape(hottest.name)}"]`)?.classList.add("hot");
  }

  reset(detail);
  return { reset, update };
}

const NODE_W = 190;
const NODE_H = 96;

/**
 * One box per stage, left to right: the stages fused into a step follow its head (joined by a
 * dashed line: no channel between them), and a step starts after every step feeding it.
 */
function pipelineGraph(plan, stages) {
  const steps =
    plan?.steps ??
    stages.map((st, i) => ({ id: i, head: st.name, fused: [], output: { to: i + 1 < stages.length ? [i + 1] : [] } }));
  const start = new Map();
  for (const step of steps) {
    const col = start.get(step.id) ?? 0;
    start.set(step.id, col);
    for (const to of step.output.to) start.set(to, Math.max(start.get(to) ?? 0, col + 1 + (step.fused?.length ?? 0)));
  }
  const rows = new Map();
  const pos = new Map();
  let width = 0;
  let height = 0;
  for (const step of steps) {
    const names = [step.head, ...(step.fused ?? [])];
    const col0 = start.get(step.id);
    const row = Math.max(...names.map((_, i) => rows.get(col0 + i) ?? 0));
    names.forEach((name, i) => {
      rows.set(col0 + i, row + 1);
      const p = { x: 20 + (col0 + i) * (NODE_W + 50), y: 20 + row * (NODE_H + 24) };
      pos.set(name, p);
      width = Math.max(width, p.x + NODE_W + 20);
      height = Math.max(height, p.y + NODE_H + 36); // room for a fleet stage's extra line
    });
  }
  const svg = s("svg", { width, height, id: "graph" });
  const curve = (a, b) => {
    const x1 = a.x + NODE_W;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x;
    const y2 = b.y + NODE_H / 2;
    return `M${x1},${y1} C${x1 + 25},${y1} ${x2 - 25},${y2} ${x2},${y2} `;
  };
  let channels = "";
  let fused = "";
  const byId = new Map(steps.map((st) => [st.id, st]));
  for (const step of steps) {
    const names = [step.head, ...(step.fused ?? [])];
    for (let i = 1; i < names.length; i++) fused += curve(pos.get(names[i - 1]), pos.get(names[i]));
    for (const to of step.output.to) {
      const next = byId.get(to);
      if (next) channels += curve(pos.get(names.at(-1)), pos.get(next.head));
    }
  }
  svg.append(s("path", { class: "edge", d: channels }), s("path", { class: "edge fused", d: fused }));
  for (const [name, { x, y }] of pos) {
    const g = s("g", { class: "stage", "data-node": name, transform: `translate(${x},${y})` });
    g.append(
      s("rect", { class: "box", width: NODE_W, height: NODE_H, rx: 6 }),
      s("text", { x: 8, y: 16, "font-weight": "bold" }, name),
      s("text", { x: 8, y: 32, "data-f": "rate" }, ""),
      s("text", { x: 8, y: 47, "data-f": "lat" }, ""),
      s("text", { x: 8, y: 62, "data-f": "err" }, ""),
      s("rect", { class: "fill-bg", x: 8, y: 70, width: 80, height: 6 }),
      s("rect", { class: "fill", x: 8, y: 70, width: 0, height: 6, "data-f": "queue" }),
      s("rect", { class: "fill-bg", x: 100, y: 70, width: 80, height: 6 }),
      s("rect", { class: "busy", x: 100, y: 70, width: 0, height: 6, "data-f": "busy" }),
      s("text", { x: 8, y: 90, "font-size": 10 }, "queue"),
      s("text", { x: 100, y: 90, "font-size": 10 }, "busy"),
    );
    svg.append(g);
  }
  return svg;
}

function updateGraphNode(box, st) {
  const g = box.querySelector(`[data-node="${CSS.escape(st.name)}"]`);
  if (!g) return;
  const f = (k) => g.querySelector(`[data-f="${k}"]`);
  f("rate").textContent = `${fmt(st.rate, 1)}/s · in ${fmt(st.in)} · out ${fmt(st.out)}`;
  f("lat").textContent = `p50 ${ms(st.p50)} · p99 ${ms(st.p99)}${st.workers ? ` · ${st.workers} w` : ""}`;
  f("err").textContent = `errors ${fmt(st.errors)} · bp ${pct(st.backPressured)}`;
  f("queue").setAttribute("width", st.capacity > 0 ? String(Math.min(80, (80 * st.queueDepth) / st.capacity)) : "0");
  f("busy").setAttribute("width", String(Math.round(80 * (st.busy ?? 0))));
  if (st.fleet)
    fleetLine(g).textContent =
      `fleet: ${st.fleet.workers} w · lag ${fmt(st.fleet.lag)} · redeliv ${fmt(st.fleet.redeliveries)}`;
}

/** A fleet stage's box grows a line for its fleet (added at its first sample that has one). */
function fleetLine(g) {
  let line = g.querySelector('[data-f="fleet"]');
  if (line) return line;
  g.querySelector(".box").setAttribute("height", String(NODE_H + 16));
  line = s("text", { x: 8, y: NODE_H + 8, "data-f": "fleet" }, "");
  g.append(line);
  return line;
}

function sparkline(canvas, values) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width;
  const hgt = canvas.height;
  ctx.clearRect(0, 0, w, hgt);
  if (values.length < 2) return;
  const max = Math.max(1, ...values);
  ctx.strokeStyle = "#4aa3ff";
  ctx.lineWidth = 2;
  ctx.beginPath();
  values.forEach((v, i) => {
    const x = (i / (values.length - 1)) * (w - 2) + 1;
    const y = hgt - 2 - (v / max) * (hgt - 14);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = "#8b97a3";
  ctx.font = "20px system-ui";
  ctx.fillText(`max ${fmt(max, 0)}/s`, 4, 18);
}

// ---------- workflow: DAG and timeline ----------

const TASK_W = 150;
const TASK_H = 20;

function workflowView(root, detail) {
  const dagBox = h("div", { class: "scroll dag" });
  const gantt = h("div", { class: "scroll gantt" });
  const canvas = h("canvas", { height: 360 });
  const spacer = h("div");
  gantt.append(canvas, spacer);
  const failures = h("tbody");
  root.append(
    h("h2", {}, "tasks"),
    h(
      "p",
      { class: "legend muted" },
      ["pending", "running", "completed", "failed", "skipped", "cancelled"].map((st) =>
        h("span", { "data-count": st }, st),
      ),
    ),
    dagBox,
    h("h2", {}, "timeline of attempts"),
    gantt,
    h("h2", {}, "failed tasks"),
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, h("th", {}, "task"), h("th", {}, "attempts"), h("th", {}, "error"))),
      failures,
    ),
  );
  let tasks = new Map();
  let attempts = {};
  let now = 0;
  let drawPending = false;

  function reset(d) {
    tasks = new Map(d.tasks.map((t) => [t.name, t]));
    attempts = d.attempts ?? {};
    now = d.t ?? 0;
    dagBox.replaceChildren(dag(d.tasks, new Set(d.criticalPath)));
    counts(d.counts);
    renderFailures();
    scheduleDraw();
  }

  function update(u) {
    now = u.t;
    for (const t of u.changed) {
      const prev = tasks.get(t.name);
      tasks.set(t.name, { ...prev, ...t });
      const g = dagBox.querySelector(`[data-task="${CSS.escape(t.name)}"]`);
      if (g) g.setAttribute("class", `task ${t.status}${g.classList.contains("critical") ? " critical" : ""}`);
    }
    Object.assign(attempts, u.attempts);
    counts(u.counts);
    if (u.changed.some((t) => t.status === "failed")) renderFailures();
    scheduleDraw();
  }

  function counts(c) {
    for (const el of root.querySelectorAll("[data-count]"))
      el.textContent = `${el.dataset.count} ${c[el.dataset.count] ?? 0}`;
  }

  function renderFailures() {
    const failed = [...tasks.values()].filter((t) => t.status === "failed").slice(0, 200);
    failures.replaceChildren(
      ...failed.map((t) =>
        h(
          "tr",
          {},
          h("td", {}, t.name),
          h("td", { class: "num" }, t.attempts),
          h("td", { class: "error" }, t.error ?? ""),
        ),
      ),
    );
  }

  function scheduleDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      drawGantt(gantt, canvas, spacer, attempts, now);
    });
  }
  gantt.addEventListener("scroll", scheduleDraw);
  reset(detail);
  return { reset, update };
}

/** Layers tasks by level (from the plan, else from their dependencies); edges drawn as one path. */
function dag(list, critical) {
  const byName = new Map(list.map((t) => [t.name, t]));
  const level = new Map();
  const levelOf = (t, guard = 0) => {
    if (level.has(t.name)) return level.get(t.name);
    let l = t.level;
    if (l === undefined || l === null) {
      l = 0;
      for (const d of t.after ?? []) {
        const dep = byName.get(d);
        if (dep && guard < 5000) l = Math.max(l, levelOf(dep, guard + 1) + 1);
      }
    }
    level.set(t.name, l);
    return l;
  };
  const columns = [];
  const pos = new Map();
  for (const t of list) {
    const l = levelOf(t);
    const col = (columns[l] ??= []);
    pos.set(t.name, { x: 10 + l * (TASK_W + 40), y: 10 + col.length * (TASK_H + 6) });
    col.push(t);
  }
  const width = 20 + columns.length * (TASK_W + 40);
  const height = 20 + Math.max(1, ...columns.map((c) => c?.length ?? 0)) * (TASK_H + 6);
  const svg = s("svg", { width, height, id: "dag" });
  let d = "";
  for (const t of list) {
    const b = pos.get(t.name);
    for (const dep of t.after ?? []) {
      const a = pos.get(dep);
      if (a) d += `M${a.x + TASK_W},${a.y + TASK_H / 2}L${b.x},${b.y + TASK_H / 2}`;
    }
  }
  svg.append(s("path", { class: "edge", d }));
  const frag = document.createDocumentFragment();
  for (const t of list) {
    const { x, y } = pos.get(t.name);
    const g = s("g", {
      class: `task ${t.status}${critical.has(t.name) ? " critical" : ""}`,
      "data-task": t.name,
      transform: `translate(${x},${y})`,
    });
    g.append(
      s("rect", { width: TASK_W, height: TASK_H, rx: 3 }),
      s("text", { x: 5, y: 14 }, t.name.length > 22 ? `${t.name.slice(0, 21)}…` : t.name),
      s("title", {}, t.name),
    );
    frag.append(g);
  }
  svg.append(frag);
  return svg;
}

const ROW = 14;

/** Draws only the rows in view: a thousand tasks cost what the visible ones cost. */
function drawGantt(box, canvas, spacer, attempts, now) {
  const names = Object.keys(attempts).sort((a, b) => (attempts[a][0]?.start ?? 0) - (attempts[b][0]?.start ?? 0));
  spacer.style.height = `${Math.max(0, names.length * ROW + 20 - canvas.height)}px`;
  canvas.width = box.clientWidth - 2;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const label = 160;
  // the run's span: up to now while attempts run, else up to the last attempt's end
  let span = 1;
  for (const name of names) for (const a of attempts[name]) span = Math.max(span, a.end ?? now);
  const scale = (canvas.width - label - 10) / span;
  const first = Math.floor(box.scrollTop / ROW);
  const count = Math.ceil(canvas.height / ROW);
  ctx.font = "11px system-ui";
  const colors = {
    retry: "#d29922",
    completed: "#3fb950",
    failed: "#f85149",
    cancelled: "#d29922",
    skipped: "#6b5a2a",
  };
  for (let i = first; i < Math.min(names.length, first + count); i++) {
    const y = (i - first) * ROW + 2;
    const name = names[i];
    ctx.fillStyle = "#8b97a3";
    ctx.fillText(name.length > 24 ? `${name.slice(0, 23)}…` : name, 4, y + 10);
    for (const a of attempts[name]) {
      const x = label + a.start * scale;
      const w = Math.max(2, ((a.end ?? now) - a.start) * scale);
      ctx.fillStyle = a.end === undefined || a.end === null ? "#4aa3ff" : (colors[a.outcome] ?? "#56606b");
      ctx.fillRect(x, y, w, ROW - 4);
    }
  }
  ctx.fillStyle = "#8b97a3";
  ctx.fillText(`0 … ${ms(span)}`, label, canvas.height - 4);
}

// ---------- dead letters ----------

function deadLettersPage(params) {
  const fields = ["runId", "runName", "stage", "code"].map((name) =>
    h("input", { name, placeholder: name, value: params.get(name) ?? "" }),
  );
  const replayed = h(
    "select",
    { name: "replayed" },
    [
      ["", "replayed or not"],
      ["false", "not replayed"],
      ["true", "replayed"],
    ].map(([v, label]) => h("option", { value: v, selected: v === (params.get("replayed") ?? "") }, label)),
  );
  const body = h("tbody");
  const total = h("span", { class: "muted", id: "dl-total" });
  const prev = h("button", { onclick: () => page(current - 1) }, "‹ prev");
  const next = h("button", { id: "dl-next", onclick: () => page(current + 1) }, "next ›");
  const all = h("input", { type: "checkbox", title: "select the page" });
  const replaySel = h("button", { id: "replay-selected", onclick: () => replay([...selected]) }, "Replay selected");
  const purgeSel = h(
    "button",
    { class: "danger", id: "purge-selected", onclick: () => purge({ ids: [...selected] }) },
    "Purge selected",
  );
  const purgeAll = h(
    "button",
    { class: "danger", id: "purge-matching", onclick: () => purge({ filter: filter() }, true) },
    "Purge all matching",
  );
  const detail = h("div", { id: "dl-detail" });
  const selected = new Set();
  let cursors = [0];
  let current = 0;
  let canReplay = false;
  let replayOff = "";
  let rows = [];

  const form = h(
    "form",
    { class: "filters", onsubmit: (e) => (e.preventDefault(), page(0, true)) },
    fields,
    replayed,
    h("button", {}, "Search"),
  );
  main.append(
    h("h1", {}, "Dead letters"),
    form,
    h("div", { class: "actions" }, replaySel, purgeSel, purgeAll, prev, next, total),
    h(
      "div",
      { class: "split" },
      h(
        "div",
        {},
        h(
          "table",
          { id: "dead-letters" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", {}, all),
              ["id", "run", "stage", "key", "code", "message", "attempts", "failed", "replayed"].map((c) =>
                h("th", {}, c),
              ),
            ),
          ),
          body,
        ),
      ),
      detail,
    ),
  );
  all.addEventListener("change", () => {
    for (const r of rows) {
      if (all.checked) selected.add(r.id);
      else selected.delete(r.id);
    }
    for (const cb of body.querySelectorAll("input[type=checkbox]")) cb.checked = all.checked;
    buttons();
  });

  function filter() {
    const f = {};
    for (const el of fields) if (el.value.trim()) f[el.name] = el.value.trim();
    if (replayed.value) f.replayed = replayed.value;
    return f;
  }

  function buttons() {
    replaySel.disabled = selected.size === 0 || !canReplay;
    replaySel.title = canReplay ? "" : replayOff;
    purgeSel.disabled = selected.size === 0;
    prev.disabled = current === 0;
  }

  async function page(k, fresh = false) {
    if (fresh) cursors = [0];
    if (k < 0) return;
    const after = cursors[k];
    if (after === undefined) return;
    const search = new URLSearchParams({ ...filter(), after: String(after), limit: "50" });
    history.replaceState(null, "", `#/dead-letters?${new URLSearchParams(filter())}`);
    try {
      const [data, info] = await Promise.all([api(`/api/dead-letters?${search}`), api("/api/info")]);
      canReplay = info.replay;
      replayOff = info.replayOff ?? "";
      current = k;
      cursors = cursors.slice(0, k + 1);
      if (data.next !== undefined) cursors.push(data.next);
      rows = data.records;
      selected.clear();
      all.checked = false;
      body.replaceChildren(
        ...rows.map((r) => {
          const cb = h("input", { type: "checkbox", onclick: (e) => e.stopPropagation() });
          cb.addEventListener("change", () => {
            if (cb.checked) selected.add(r.id);
            else selected.delete(r.id);
            buttons();
          });
          return h(
            "tr",
            { class: "clickable", "data-dead-letter": r.id, onclick: () => show(r.id) },
            h("td", {}, cb),
            h("td", { class: "num" }, r.id),
            h("td", {}, r.runName),
            h("td", {}, r.stage),
            h("td", {}, r.key),
            h("td", {}, r.code ?? ""),
            h("td", { class: "error" }, r.message.length > 60 ? `${r.message.slice(0, 59)}…` : r.message),
            h("td", { class: "num" }, r.attempts),
            h("td", {}, when(r.lastFailedAt)),
            h("td", {}, r.replayedAt ? when(r.replayedAt) : "–"),
          );
        }),
      );
      total.textContent = `${data.total} matching · page ${k + 1} of ${Math.max(1, Math.ceil(data.total / 50))}`;
      next.disabled = data.next === undefined;
      buttons();
    } catch (e) {
      body.replaceChildren();
      total.replaceChildren(errorBox(e));
    }
  }

  async function show(id) {
    for (const tr of body.querySelectorAll("tr.selected")) tr.classList.remove("selected");
    body.querySelector(`[data-dead-letter="${id}"]`)?.classList.add("selected");
    try {
      const d = await api(`/api/dead-letters/${id}`);
      const editor = h("textarea", { id: "dl-item", spellcheck: "false" }, JSON.stringify(d.item, null, 2));
      const err = d.error;
      const causes = (err.causes ?? []).map((c) => `caused by ${c.name}: ${c.message}\n${c.stack ?? ""}`).join("\n");
      detail.replaceChildren(
        h("h2", {}, `dead letter ${d.id}`),
        h(
          "p",
          {},
          `run `,
          h("a", { href: `#/run/${encodeURIComponent(d.runId)}` }, d.runName),
          ` · stage ${d.stage} · key ${d.key}${d.index === undefined ? "" : ` · index ${d.index}`} · ${d.attempts} attempts`,
        ),
        h(
          "p",
          { class: "muted" },
          `first failed ${when(d.firstFailedAt)} · last ${when(d.lastFailedAt)}${d.replayedAt ? ` · replayed ${when(d.replayedAt)}` : ""}`,
        ),
        h("h2", {}, "error"),
        h(
          "pre",
          { id: "dl-error" },
          `${err.name}${err.code ? ` [${err.code}]` : ""}: ${err.message}\n${err.stack ?? ""}${causes ? `\n${causes}` : ""}`,
        ),
        h("h2", {}, "item"),
        editor,
        h(
          "div",
          { class: "actions" },
          h(
            "button",
            {
              id: "replay-one",
              disabled: !canReplay,
              title: canReplay ? undefined : replayOff,
              onclick: () => replay([d.id]),
            },
            "Replay",
          ),
          h(
            "button",
            {
              id: "edit-replay",
              disabled: !canReplay,
              title: canReplay ? undefined : replayOff,
              onclick: () => {
                let item;
                try {
                  item = JSON.parse(editor.value);
                } catch (e) {
                  return setStatus(`the item is not JSON: ${e.message}`);
                }
                return replay([d.id], item, true);
              },
            },
            "Replay edited item",
          ),
          h("button", { class: "danger", id: "purge-one", onclick: () => purge({ ids: [d.id] }) }, "Purge"),
          canReplay ? "" : h("span", { class: "muted", id: "replay-off" }, replayOff),
        ),
      );
    } catch (e) {
      detail.replaceChildren(errorBox(e));
    }
  }

  async function replay(ids, item, edited = false) {
    if (ids.length === 0) return;
    setStatus(`replaying ${ids.length}…`);
    try {
      const r = await api("/api/dead-letters/replay", edited ? { ids, item } : { ids });
      // the list and the detail are redrawn first: once the status says so, the page is settled
      await page(current);
      if (ids.length === 1) await show(ids[0]);
      setStatus(`replayed ${r.replayed}`);
    } catch (e) {
      setStatus(e.message);
    }
  }

  async function purge(body, confirmFirst = false) {
    if (body.ids && body.ids.length === 0) return;
    if (confirmFirst && !confirm("Purge every dead letter matching the filter?")) return;
    setStatus("purging…");
    try {
      const r = await api("/api/dead-letters/purge", body);
      detail.replaceChildren();
      await page(0, true);
      setStatus(`purged ${r.purged}`);
    } catch (e) {
      setStatus(e.message);
    }
  }

  void page(0, true);
}

route();
