// The Mastra console: chat with an agent, read each answer's trace, give feedback, see per-agent statistics.
// Plain JavaScript, no dependencies, no build step. Talks only to this API, by relative URLs:
//   POST v1/chat, POST v1/feedback, GET v1/stats (shapes documented in README.md).
// Every call carries the API key typed in the header's key field, as `Authorization: Bearer <key>`.
// The key is kept in sessionStorage: it lives only as long as the tab, and is never in the URL.
"use strict";

(() => {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777",
    "#4b5563", "#65a30d", "#7c3aed", "#0d9488"];
  const state = { threadId: null };
  const KEY_ITEM = "mastra.apiKey";

  function apiKey() {
    try {
      return sessionStorage.getItem(KEY_ITEM) || "";
    } catch {
      return ""; // storage disabled: the key must be typed again
    }
  }

  const $ = (selector, root = document) => root.querySelector(selector);

  // ---- helpers ---------------------------------------------------------------------------------------

  function fmt(value, digits = 2) {
    return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "—";
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value !== null && value !== undefined) node.setAttribute(key, String(value));
    }
    for (const child of children) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  function svg(tag, attrs = {}, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value !== null && value !== undefined) node.setAttribute(key, String(value));
    }
    for (const child of children) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  /** Calls the API; resolves to the JSON body, rejects with the API's own message on an error status. */
  async function api(path, options = {}) {
    const init = { headers: { accept: "application/json" }, ...options };
    const key = apiKey();
    if (key) init.headers.authorization = `Bearer ${key}`;
    if (options.json !== undefined) {
      init.method = init.method || "POST";
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(options.json);
      delete init.json;
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new Error(`the API is unreachable (${err.message})`);
    }
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (response.status === 401 || response.status === 403) {
      const reason = body && body.message ? body.message : response.statusText;
      const hint = response.status === 401
        ? (key ? "the API key was refused (unknown, revoked or expired): enter another above"
               : "an API key is needed: enter it above (mastra serve prints one; mastra keys create makes another)")
        : "this API key may not do that (it lacks the scope)";
      keyStatus(`${response.status}: ${hint}.`, true);
      throw new Error(`${response.status}: ${hint} (${reason})`);
    }
    if (!response.ok) {
      const reason = body && (body.message || body.detail) ? body.message || body.detail : response.statusText;
      throw new Error(`${response.status}: ${typeof reason === "string" ? reason : JSON.stringify(reason)}`);
    }
    return body;
  }

  function keyStatus(text, problem = false) {
    const out = $("#key-status");
    out.textContent = text;
    out.classList.toggle("problem", problem);
  }

  function saveKey(event) {
    if (event) event.preventDefault();
    const value = $("#api-key").value.trim();
    try {
      if (value) sessionStorage.setItem(KEY_ITEM, value);
      else sessionStorage.removeItem(KEY_ITEM);
    } catch {
      keyStatus("This browser does not keep the key (storage is disabled).", true);
      return;
    }
    $("#api-key").value = "";
    keyStatus(value ? "Key set for this tab." : "Key cleared.");
  }

  // ---- views -----------------------------------------------------------------------------------------

  function show(view) {
    for (const name of ["chat", "stats"]) {
      const on = name === view;
      $(`#view-${name}`).hidden = !on;
      $(`#tab-${name}`).setAttribute("aria-pressed", String(on));
    }
    if (view === "stats") loadStats();
  }

  // ---- chat ------------------------------------------------------------------------------------------

  async function sendMessage(event) {
    event.preventDefault();
    const message = $("#message").value.trim();
    const userInput = $("#user-id");
    const status = $("#chat-status");
    if (!message) {
      status.textContent = "Write a message first.";
      $("#message").focus();
      return;
    }
    if (!userInput.checkValidity()) {
      status.textContent = "The user id may hold letters, digits and _ . : @ - (up to 128).";
      userInput.focus();
      return;
    }
    const body = { message, user_id: userInput.value };
    if (state.threadId) body.thread_id = state.threadId;
    const send = $("#send");
    send.disabled = true;
    status.textContent = "Thinking…";
    try {
      const answer = await api("v1/chat", { json: body });
      state.threadId = answer.thread_id;
      $("#thread-id").textContent = answer.thread_id;
      $("#log").append(renderTurn(message, answer));
      $("#message").value = "";
      status.textContent = "";
    } catch (err) {
      status.textContent = `Could not send: ${err.message}`;
    } finally {
      send.disabled = false;
    }
  }

  function newThread() {
    state.threadId = null;
    $("#thread-id").textContent = "new";
    $("#log").replaceChildren();
    $("#message").focus();
  }

  function renderTurn(message, answer) {
    const turn = $("#turn-template").content.firstElementChild.cloneNode(true);
    turn.dataset.requestId = answer.request_id;
    $(".user-msg .text", turn).textContent = message;
    $(".agent-name", turn).textContent = answer.agent;
    $(".answer-text", turn).textContent = answer.answer;

    const trace = answer.trace || {};
    const selection = trace.selection || {};
    const facts = $(".facts", turn);
    const fact = (name, value, cls) => {
      facts.append(el("dt", {}, name), el("dd", cls ? { class: cls } : {}, value));
    };
    fact("Agent", answer.agent, "fact-agent");
    fact("Confidence", fmt(answer.confidence), "fact-confidence");
    const routerChoice = selection.router_agent_id;
    if (routerChoice && routerChoice !== answer.agent) fact("Router's choice", routerChoice, "fact-router");
    if (selection.agent_id && selection.agent_id !== answer.agent && selection.agent_id !== routerChoice) {
      fact("First selected", selection.agent_id, "fact-selected");
    }
    if (selection.fallback && selection.fallback_reason) fact("Fallback", selection.fallback_reason);
    if (selection.bandit && typeof selection.bandit === "object") {
      const b = selection.bandit;
      fact("Bandit", `${b.policy || "?"}${b.explored ? " (explored)" : ""}`, "fact-bandit");
    }
    if (selection.topic) fact("Topic", selection.topic, "fact-topic");
    const sentiment = answer.sentiment || {};
    fact("Sentiment", `${sentiment.label || "—"} (${fmt(sentiment.score)})`, "fact-sentiment");
    const reflection = answer.reflection || {};
    fact("Reflection", `${reflection.verdict || "—"}, score ${fmt(reflection.score)}`, "fact-reflection");
    if (reflection.reason) fact("Why", reflection.reason, "fact-reason");
    const executions = trace.executions || [];
    const kept = executions.find((x) => x.agent_id === answer.agent) || executions[executions.length - 1];
    if (kept && kept.prompt && kept.prompt.ref) fact("Prompt", kept.prompt.ref, "fact-prompt");
    if (answer.sources && answer.sources.length) fact("Sources", answer.sources.join(", "));
    if (selection.router) fact("Router model", selection.router);
    fact("Request", answer.request_id, "fact-request");

    const attempts = $(".attempts tbody", turn);
    for (const a of answer.attempts || []) {
      attempts.append(el("tr", {}, el("td", {}, a.attempt), el("td", {}, a.agent_id), el("td", {}, a.verdict),
        el("td", {}, fmt(a.score))));
    }

    const timings = answer.timings_ms || {};
    const total = timings.total || Math.max(1, ...Object.values(timings));
    const rows = $(".timings tbody", turn);
    for (const [step, ms] of Object.entries(timings)) {
      const width = Math.max(1, Math.round((100 * ms) / total));
      const bar = svg("svg", { width: 100, height: 10, viewBox: "0 0 100 10", "aria-hidden": "true", class: "minibar" },
        svg("rect", { x: 0, y: 1, width, height: 8, fill: step === "total" ? "#9ca3af" : "#2563eb" }));
      rows.append(el("tr", {}, el("th", { scope: "row" }, step), el("td", {}, fmt(ms, 1)), el("td", {}, bar)));
    }

    wireFeedback($("form.feedback", turn), answer);
    return turn;
  }

  // ---- feedback --------------------------------------------------------------------------------------

  function wireFeedback(form, answer) {
    let thumbs = null;
    const buttons = form.querySelectorAll(".thumb");
    for (const button of buttons) {
      button.addEventListener("click", () => {
        thumbs = thumbs === button.dataset.thumbs ? null : button.dataset.thumbs;
        for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.thumbs === thumbs));
      });
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const status = $(".feedback-status", form);
      const comment = $(".comment", form).value.trim();
      if (thumbs === null && !comment) {
        status.textContent = "Choose thumbs up or down, or write a comment.";
        return;
      }
      const submit = $(".send-feedback", form);
      submit.disabled = true;
      status.textContent = "Sending…";
      try {
        const saved = await api("v1/feedback", {
          json: {
            request_id: answer.request_id,
            user_id: answer.user_id,
            thumbs,
            rating: null,
            comment: comment || null,
          },
        });
        const mood = saved.comment_sentiment
          ? `; comment ${saved.comment_sentiment.label} (${fmt(saved.comment_sentiment.score)})`
          : "";
        status.textContent = `${saved.replaced ? "Feedback updated" : "Feedback saved"}: reward ${fmt(saved.reward)}${mood}.`;
        form.classList.add("sent");
      } catch (err) {
        status.textContent = `Could not save feedback: ${err.message}`;
      } finally {
        submit.disabled = false;
      }
    });
  }

  // ---- statistics ------------------------------------------------------------------------------------

  async function loadStats(event) {
    if (event) event.preventDefault();
    const by = $("#stats-by").value;
    const windowValue = $("#stats-window").value;
    const status = $("#stats-status");
    status.textContent = "Loading…";
    try {
      const stats = await api(`v1/stats?${new URLSearchParams({ window: windowValue, by })}`);
      renderStats(stats);
      const span = stats.since && stats.until
        ? ` from ${new Date(stats.since * 1000).toLocaleString()} to ${new Date(stats.until * 1000).toLocaleString()}`
        : "";
      status.textContent = `${(stats.groups || []).length} ${stats.by || by} group(s)${span}.`;
    } catch (err) {
      status.textContent = `Could not load statistics: ${err.message}`;
    }
  }

  function countOf(value) {
    if (typeof value === "number") return value;
    if (Array.isArray(value)) return value.length;
    if (value && typeof value === "object") return Object.values(value).reduce((s, v) => s + (Number(v) || 0), 0);
    return 0;
  }

  function renderStats(stats) {
    const body = $("#stats-body");
    const groups = stats.groups || [];
    if (!groups.length) {
      body.replaceChildren(el("p", { class: "empty" }, "No requests in this window yet: chat first."));
      return;
    }
    const colour = new Map(groups.map((g, i) => [g.key, PALETTE[i % PALETTE.length]]));
    const by = stats.by || "agent";

    const table = el("table", { class: "stats-table" }, el("caption", {}, `Per ${by}`));
    const head = ["", by, "requests", "p50 ms", "p99 ms", "reward", "reflection", "thumbs up", "thumbs down", "ratings",
      "comments", "errors"];
    table.append(el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col" }, h)))));
    const tbody = el("tbody");
    for (const g of groups) {
      const latency = g.latency_ms || {};
      const fb = g.feedback || {};
      const swatch = svg("svg", { width: 12, height: 12, "aria-hidden": "true" },
        svg("rect", { width: 12, height: 12, fill: colour.get(g.key) }));
      tbody.append(el("tr", {},
        el("td", {}, swatch), el("th", { scope: "row" }, g.key), el("td", {}, g.requests ?? 0),
        el("td", {}, fmt(latency.p50, 1)), el("td", {}, fmt(latency.p99, 1)), el("td", {}, fmt(g.reward)),
        el("td", {}, fmt(g.reflection_score)), el("td", {}, countOf(fb.up)), el("td", {}, countOf(fb.down)),
        el("td", {}, countOf(fb.ratings)), el("td", {}, countOf(fb.comments)), el("td", {}, g.errors ?? 0)));
    }
    table.append(tbody);

    const charts = el("div", { class: "charts" },
      barChart(`Requests per ${by}`, groups, colour, [{ label: "requests", value: (g) => g.requests || 0 }],
        (v) => String(Math.round(v))),
      barChart(`Latency per ${by} (ms)`, groups, colour, [
        { label: "p50", value: (g) => (g.latency_ms || {}).p50 },
        { label: "p99", value: (g) => (g.latency_ms || {}).p99, faded: true },
      ], (v) => v.toFixed(0)),
      barChart(`Reward per ${by}`, groups, colour, [{ label: "reward", value: (g) => g.reward }], (v) => v.toFixed(2), 1),
      barChart(`Reflection score per ${by}`, groups, colour, [{ label: "score", value: (g) => g.reflection_score }],
        (v) => v.toFixed(2), 1),
      lineChart("Reward by hour", groups, colour, (p) => p.reward, (v) => v.toFixed(2), 1),
      lineChart("Latency p50 by hour (ms)", groups, colour, (p) => p.latency_p50, (v) => v.toFixed(0)),
    );
    body.replaceChildren(table, charts);
  }

  /** Horizontal bars, one row per group, one bar per measure; missing values are shown as "—". */
  function barChart(title, groups, colour, measures, label, fixedMax) {
    const rowHeight = 14 * measures.length + 8;
    const left = 130;
    const width = 460;
    const plot = width - left - 60;
    const height = groups.length * rowHeight + 10;
    const values = groups.flatMap((g) => measures.map((m) => m.value(g))).filter((v) => typeof v === "number");
    const max = fixedMax || Math.max(1e-9, ...values);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "chart bar-chart",
      "aria-label": title }, svg("title", {}, title));
    groups.forEach((g, i) => {
      const y0 = 5 + i * rowHeight;
      chart.append(svg("text", { x: left - 6, y: y0 + rowHeight / 2 + 3, "text-anchor": "end", class: "axis" },
        truncate(g.key, 20)));
      measures.forEach((m, j) => {
        const v = m.value(g);
        const y = y0 + 4 + j * 14;
        const known = typeof v === "number" && Number.isFinite(v);
        const w = known ? Math.max(1, (plot * Math.min(v, max)) / max) : 0;
        const bar = svg("rect", { x: left, y, width: w, height: 12, fill: colour.get(g.key), class: "bar",
          "fill-opacity": m.faded ? 0.45 : 1, "data-key": g.key },
        svg("title", {}, `${g.key} ${m.label}: ${known ? label(v) : "no data"}`));
        chart.append(bar, svg("text", { x: left + w + 4, y: y + 10, class: "value" },
          `${measures.length > 1 ? `${m.label} ` : ""}${known ? label(v) : "—"}`));
      });
    });
    return figure(title, chart);
  }

  /** One line per group over the hourly ``series`` (x: hour, y: the measure); a dot where there is one point. */
  function lineChart(title, groups, colour, measure, label, fixedMax) {
    const width = 460;
    const height = 200;
    const pad = { left: 44, right: 10, top: 10, bottom: 28 };
    const points = groups.flatMap((g) => (g.series || []).map((p) => ({ key: g.key, t: p.t, v: measure(p) })))
      .filter((p) => typeof p.v === "number" && Number.isFinite(p.v) && typeof p.t === "number");
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", class: "chart line-chart",
      "aria-label": title }, svg("title", {}, title));
    if (!points.length) {
      chart.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "axis" }, "no data yet"));
      return figure(title, chart);
    }
    const tMin = Math.min(...points.map((p) => p.t));
    const tMax = Math.max(...points.map((p) => p.t));
    const vMax = fixedMax || Math.max(1e-9, ...points.map((p) => p.v));
    const x = (t) => pad.left + (tMax === tMin ? 0.5 : (t - tMin) / (tMax - tMin)) * (width - pad.left - pad.right);
    const y = (v) => height - pad.bottom - (v / vMax) * (height - pad.top - pad.bottom);
    chart.append(
      svg("line", { x1: pad.left, y1: y(0), x2: width - pad.right, y2: y(0), class: "gridline" }),
      svg("line", { x1: pad.left, y1: y(vMax), x2: width - pad.right, y2: y(vMax), class: "gridline" }),
      svg("text", { x: pad.left - 4, y: y(0) + 4, "text-anchor": "end", class: "axis" }, label(0)),
      svg("text", { x: pad.left - 4, y: y(vMax) + 4, "text-anchor": "end", class: "axis" }, label(vMax)),
      svg("text", { x: pad.left, y: height - 8, class: "axis" }, hour(tMin)),
      svg("text", { x: width - pad.right, y: height - 8, "text-anchor": "end", class: "axis" }, hour(tMax)),
    );
    for (const g of groups) {
      const mine = points.filter((p) => p.key === g.key).sort((a, b) => a.t - b.t);
      if (!mine.length) continue;
      const series = svg("g", { class: "series", "data-key": g.key }, svg("title", {}, g.key));
      if (mine.length > 1) {
        series.append(svg("polyline", { points: mine.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" "),
          fill: "none", stroke: colour.get(g.key), "stroke-width": 2, class: "line" }));
      }
      for (const p of mine) {
        series.append(svg("circle", { cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 3, fill: colour.get(g.key),
          class: "point" }, svg("title", {}, `${g.key} ${hour(p.t)}: ${label(p.v)}`)));
      }
      chart.append(series);
    }
    return figure(title, chart, legend(groups, colour));
  }

  function figure(title, chart, extra) {
    const fig = el("figure", { class: "figure" }, chart, el("figcaption", {}, title));
    if (extra) fig.append(extra);
    return fig;
  }

  function legend(groups, colour) {
    const list = el("ul", { class: "legend" });
    for (const g of groups) {
      const swatch = svg("svg", { width: 10, height: 10, "aria-hidden": "true" },
        svg("rect", { width: 10, height: 10, fill: colour.get(g.key) }));
      list.append(el("li", {}, swatch, ` ${g.key}`));
    }
    return list;
  }

  function hour(t) {
    const d = new Date(t * 1000);
    return `${d.toLocaleDateString(undefined, { month: "short", day: "numeric" })} ${String(d.getHours()).padStart(2, "0")}:00`;
  }

  function truncate(text, n) {
    const s = String(text);
    return s.length > n ? `${s.slice(0, n - 1)}…` : s;
  }

  // ---- start -----------------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("#key-form").addEventListener("submit", saveKey);
    keyStatus(apiKey() ? "Key set for this tab." : "Enter an API key to start.", !apiKey());
    $("#tab-chat").addEventListener("click", () => show("chat"));
    $("#tab-stats").addEventListener("click", () => show("stats"));
    $("#chat-form").addEventListener("submit", sendMessage);
    $("#new-thread").addEventListener("click", newThread);
    $("#stats-form").addEventListener("submit", loadStats);
    $("#message").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("#chat-form").requestSubmit();
    });
  });
})();
