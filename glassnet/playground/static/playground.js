// glassnet playground: the page's code. It trains nothing itself: the server runs glassnet and sends numbers,
// and this script paints them (canvas) and shows the maths of the last step. No third-party code.
"use strict";

const COLORS = ["#f59322", "#0877bd", "#2ca02c", "#8e44ad", "#d62728", "#17becf"];  // one per class
const SPEEDS = [1, 2, 5, 10, 20, 50, 100];
const LRS = [0.0001, 0.001, 0.003, 0.01, 0.03, 0.04, 0.1, 0.3, 0.5, 1, 3, 10];
const L2S = [0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1];
const POINTS = [50, 100, 200, 400, 1000, 2000];
const FEATURE_NAMES = {x1: "x1", x2: "x2", x1sq: "x1²", x2sq: "x2²", x1x2: "x1·x2", sinx1: "sin x1", sinx2: "sin x2"};
const DATASETS = {
  circles: "circles", xor: "XOR (quadrants)", corners: "XOR (four corners)", gaussians: "two Gaussians",
  spirals: "spirals", blobs: "several Gaussians", surface: "regression surface", stairs: "stairs images (tutorial)",
  toy16: "Desai's 16 rows (tutorial)", bugs: "Rashid's bugs (tutorial)", csv: "a CSV file…",
};
const ABOUT = {
  circles: "a disc inside a ring", xor: "four quadrants, opposite ones alike", corners:
  "clouds around XOR's four corners", gaussians: "two Gaussian clouds", spirals: "two interleaved spirals",
  blobs: "several Gaussian clouds, 3 or more classes", surface: "a number to predict over the plane",
  stairs: "the stairs tutorial's four 2x2 images; axes: pixels p1, p2", toy16: "Desai's table; axes: f3, f1",
  bugs: "width -> length of Rashid's two bugs", csv: "your own table: every numeric column is an input",
};
const GENERATED = ["circles", "xor", "corners", "gaussians", "spirals", "blobs", "surface"];
const OPTIONS = {
  activation: ["tanh", "relu", "sigmoid", "linear"],
  output: {softmax: "softmax + cross entropy", sigmoid: "sigmoid + binary cross entropy",
           linear: "linear + squared error"},
  optimizer: {sgd: "SGD", momentum: "SGD + momentum 0.9", adam: "Adam"},
  init: {uniform: "±0.01 uniform (tutorials)", normal: "N(0, 1) (Desai)", rashid: "Rashid: N(0, 1/n_in)",
         glorot: "Glorot", he: "He", tutorial: "the tutorial's own weights"},
};

const $ = (id) => document.getElementById(id);
const state = {
  session: null, settings: null, data: null, network: null, featureMaps: [], frame: null,
  notation: "standard", playing: false, loop: null, history: [], selected: null, hover: null, pointer: null,
  presets: {}, limits: {}, rate: 0, updates: 0, mathsShownAt: 0, panelsShownAt: 0, queue: Promise.resolve(),
};
// for the tests and the curious: the state, the API, and where the network picture puts each unit
window.playground = {state, api, configure, step, stop, layout: () => layout()};

// ------------------------------------------------------------------ talking to the server
async function api(action, body = {}) {
  const response = await fetch("/api/" + action, {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({session: state.session, notation: state.notation, ...body}),
  });
  const type = response.headers.get("Content-Type") || "";
  if (!response.ok) {
    const reason = type.includes("json") ? (await response.json()).error : response.statusText;
    throw new Error(reason || ("HTTP " + response.status));
  }
  return type.includes("json") ? response.json() : response.blob();
}

function showError(err) {
  const box = $("error");
  box.textContent = String(err.message || err);
  box.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { box.hidden = true; }, 7000);
}

async function guarded(work) {
  try { return await work(); } catch (err) { pause(); showError(err); return null; }
}

// ------------------------------------------------------------------ state from the server
function applyState(s) {
  state.settings = s.settings;
  state.data = s.data;
  state.network = s.network;
  state.featureMaps = s.feature_maps;
  state.history = [];
  state.selected = null;
  syncControls();
  onFrame(s.frame, true);
}

async function configure(changes, adapt = true) {
  await stop();
  const s = await guarded(() => api("configure", {settings: changes, adapt}));
  if (s) applyState(s);
  else syncControls();  // refused: show the settings as they still are
  return s;
}

// One batch or one epoch; clicks made while one is under way wait their turn.
function step(kind) {
  const run = async () => {
    await stop();
    const f = await api(kind === "epoch" ? "epoch" : "step", {steps: 1});
    onFrame(f, true);
    return f;
  };
  const next = state.queue.then(run, run);
  state.queue = next.catch(() => null);
  return next;
}

// Every frame repaints the two pictures and the counters; while playing, the loss curve and the units table
// follow ten times a second and the maths panel three times, which keeps the browser's share of the work small.
function onFrame(f, always) {
  state.frame = f;
  if (f.train) state.history.push({steps: f.steps, train: f.train.loss, test: f.test ? f.test.loss : null});
  if (state.history.length > 4000) state.history = state.history.filter((_, i) => i % 2 === 0);
  drawPicture();
  drawNetwork();
  showCounters();
  const now = performance.now(), quiet = always || !state.playing;
  if (quiet || now - state.panelsShownAt > 100) {
    drawLoss();
    showUnits();
    state.panelsShownAt = now;
  }
  if (quiet || now - state.mathsShownAt > 300) {
    showMaths();
    state.mathsShownAt = now;
  }
  showTooltip();
  if (f.diverged) { pause(); showError(f.diverged); }
}

// ------------------------------------------------------------------ play / pause
function pause() {
  state.playing = false;
  $("play").textContent = "▶ play";
}

// Pause, and wait until the last step in flight has come back: nothing may step the next run.
async function stop() {
  pause();
  if (state.loop) await state.loop;
}

async function play() {
  if (state.playing) return stop();
  if (state.loop) await state.loop;
  state.playing = true;
  $("play").textContent = "❚❚ pause";
  state.loop = playLoop();
  await state.loop;
  state.loop = null;
}

// Two requests stay in flight while playing: the server trains the next batches while the page receives and
// paints the last ones. The session's lock on the server runs them one after the other, so the run is the same
// as with one request at a time; a frame that overtook a later one on another connection is not shown.
async function playLoop() {
  const ask = () => api("step", {steps: Number($("speed").value)});
  const pending = [ask(), ask()];
  let count = 0, since = performance.now(), shown = -1;
  while (pending.length) {
    let f;
    try { f = await pending.shift(); } catch (err) { pause(); showError(err); break; }
    if (state.playing && !f.diverged) pending.push(ask());
    else state.playing = false;
    if (f.steps < shown) continue;
    shown = f.steps;
    onFrame(f, !state.playing && pending.length === 0);
    count += 1;
    state.updates += 1;
    const now = performance.now();
    if (now - since >= 1000) {
      state.rate = count * 1000 / (now - since);
      $("rate").textContent = state.rate.toFixed(0) + " pictures/s";
      count = 0; since = now;
    }
  }
  await Promise.allSettled(pending);
  pause();
}

// ------------------------------------------------------------------ controls
function fillSelect(select, values, labels) {
  select.replaceChildren();
  for (const value of values) {
    const option = document.createElement("option");
    option.value = String(value);
    option.textContent = labels ? labels[value] : String(value);
    select.append(option);
  }
}

function setSelect(select, value, labelOf = String) {
  const text = String(value);
  if (![...select.options].some((o) => o.value === text)) {
    const option = document.createElement("option");
    option.value = text;
    option.textContent = labelOf(value);
    select.append(option);
  }
  select.value = text;
}

function buildControls() {
  fillSelect($("speed"), SPEEDS);
  $("speed").value = "5";
  fillSelect($("dataset"), Object.keys(DATASETS), DATASETS);
  fillSelect($("n_points"), POINTS);
  fillSelect($("classes"), [3, 4, 5, 6]);
  fillSelect($("activation"), OPTIONS.activation);
  fillSelect($("output"), Object.keys(OPTIONS.output), OPTIONS.output);
  fillSelect($("optimizer"), Object.keys(OPTIONS.optimizer), OPTIONS.optimizer);
  fillSelect($("init"), Object.keys(OPTIONS.init), OPTIONS.init);
  fillSelect($("lr"), LRS);
  fillSelect($("l2"), L2S);
  for (const [key, label] of Object.entries(FEATURE_NAMES)) {
    const box = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = key;
    input.addEventListener("change", () => {
      const chosen = [...$("features").querySelectorAll("input:checked")].map((i) => i.value);
      configure({features: chosen});
    });
    box.append(input, " " + label);
    $("features").append(box);
  }
  for (const name of ["dataset", "activation", "output", "optimizer", "init"]) {
    $(name).addEventListener("change", () => {
      const changes = {[name]: $(name).value};
      if (name === "dataset" && $(name).value === "csv" && !(state.data.csv)) {
        $("csv-file").click();
        syncControls();
        return;
      }
      configure(changes);
    });
  }
  for (const name of ["n_points", "classes"]) {
    $(name).addEventListener("change", () => configure({[name]: Number($(name).value)}));
  }
  for (const name of ["lr", "l2"]) {
    $(name).addEventListener("change", () => configure({[name]: Number($(name).value)}));
  }
  for (const name of ["noise", "train_ratio"]) {
    $(name).addEventListener("input", () => { $(name + "-value").textContent = $(name).value; });
    $(name).addEventListener("change", () => configure({[name]: Number($(name).value)}));
  }
  for (const name of ["batch_size", "seed"]) {
    $(name).addEventListener("change", () => {
      const value = Number($(name).value);
      if (Number.isInteger(value)) configure({[name]: value}); else syncControls();
    });
  }
  for (const name of ["bias", "shuffle"]) {
    $(name).addEventListener("change", () => configure({[name]: $(name).checked}));
  }
  $("regenerate").addEventListener("click", () => configure({data_seed: randomSeed()}));
  $("new-seed").addEventListener("click", () => configure({seed: randomSeed()}));
  $("reset").addEventListener("click", async () => {
    await stop();
    const s = await guarded(() => api("reset"));
    if (s) applyState(s);
  });
  $("play").addEventListener("click", play);
  $("step").addEventListener("click", () => guarded(() => step("step")));
  $("epoch").addEventListener("click", () => guarded(() => step("epoch")));
  $("preset").addEventListener("change", loadPreset);
  $("csv-file").addEventListener("change", uploadCsv);
  $("target").addEventListener("change", () => configure({target: $("target").value, plot: null}));
  for (const id of ["plot-x", "plot-y"]) {
    $(id).addEventListener("change", () => {
      const plot = [$("plot-x").value, $("plot-y").value].filter((v, i, all) => v && all.indexOf(v) === i);
      configure({plot});
    });
  }
  $("export-model").addEventListener("click", exportModel);
  $("export-png").addEventListener("click", exportPng);
  $("export-markdown").addEventListener("click", () => exportReport("markdown"));
  $("export-html").addEventListener("click", () => exportReport("html"));
  for (const radio of document.querySelectorAll("input[name=notation]")) {
    radio.addEventListener("change", () => { state.notation = radio.value; refreshMaths(); });
  }
  const canvas = $("network");
  canvas.addEventListener("mousemove", (e) => { state.pointer = e; state.hover = hitTest(e); showTooltip(); });
  canvas.addEventListener("mouseleave", () => { state.hover = null; showTooltip(); });
  canvas.addEventListener("click", (e) => {
    const hit = hitTest(e);
    if (hit && hit.kind === "unit" && hit.layer > 0) {
      const same = state.selected && state.selected.layer === hit.layer && state.selected.unit === hit.unit;
      state.selected = same ? null : {layer: hit.layer, unit: hit.unit};
      drawNetwork();
      showMaths();
    }
  });
  window.addEventListener("pagehide", () => {
    navigator.sendBeacon("/api/close", new Blob([JSON.stringify({session: state.session})],
                                                 {type: "application/json"}));
  });
}

async function refreshMaths() {
  // the notation changed: the same frame again, in the other notation (no step, no restart)
  const f = await guarded(() => api("frame"));
  if (f) { state.frame = f; showMaths(); }
}

function randomSeed() { return Math.floor(Math.random() * 1e6); }

function syncControls() {
  const s = state.settings, d = state.data;
  setSelect($("dataset"), s.dataset, (v) => DATASETS[v] || v);
  $("dataset-about").textContent = ABOUT[s.dataset] || "";
  const generated = GENERATED.includes(s.dataset);
  $("generated-controls").hidden = !generated;
  $("features-box").hidden = !generated;
  $("classes-label").hidden = s.dataset !== "blobs";
  $("noise").value = s.noise; $("noise-value").textContent = s.noise;
  $("train_ratio").value = s.train_ratio; $("train_ratio-value").textContent = s.train_ratio;
  setSelect($("n_points"), s.n_points);
  setSelect($("classes"), s.classes);
  for (const box of $("features").querySelectorAll("input")) box.checked = s.features.includes(box.value);
  $("batch_size").value = s.batch_size;
  $("shuffle").checked = s.shuffle;
  setSelect($("activation"), s.activation);
  setSelect($("output"), s.output);
  $("bias").checked = s.bias;
  setSelect($("optimizer"), s.optimizer);
  setSelect($("lr"), s.lr);
  setSelect($("l2"), s.l2);
  setSelect($("init"), s.init);
  $("seed").value = s.seed;
  const csv = d.csv;
  $("csv-columns").hidden = !(csv && s.dataset === "csv");
  if (csv) {
    fillSelect($("target"), csv.columns);
    $("target").value = s.target || csv.columns[csv.columns.length - 1];
    const inputs = d.name === "csv" ? d.columns : csv.numeric;
    fillSelect($("plot-x"), inputs);
    fillSelect($("plot-y"), ["", ...inputs]);
    if (d.name === "csv") {
      $("plot-x").value = d.columns[d.plot[0]];
      $("plot-y").value = d.plot.length > 1 ? d.columns[d.plot[1]] : "";
    }
  }
  const notes = $("data-notes");
  notes.replaceChildren();
  for (const line of d.notes) {
    const li = document.createElement("li");
    li.textContent = line;
    notes.append(li);
  }
  $("network-summary").textContent = state.network.sizes.join("-") + ", " + state.network.parameters +
    " parameters, " + state.network.loss.replaceAll("_", " ");
  buildLayerEditor();
  const metric = d.kind === "regression" ? "R²" : "accuracy";
  for (const el of document.querySelectorAll(".metric-name")) el.textContent = metric;
  showLegend();
}

function buildLayerEditor() {
  const box = $("layers");
  box.replaceChildren();
  const hidden = state.settings.hidden;
  const max = state.limits.max_hidden_layers || 6, width = state.limits.max_neurons || 16;
  const button = (text, title, disabled, action) => {
    const b = document.createElement("button");
    b.textContent = text; b.title = title; b.disabled = disabled;
    b.addEventListener("click", action);
    return b;
  };
  const label = document.createElement("span");
  label.textContent = hidden.length + " hidden layer" + (hidden.length === 1 ? "" : "s");
  box.append(
    button("+", "add a hidden layer", hidden.length >= max, () => configure({hidden: [...hidden, hidden.at(-1) || 4]})),
    button("−", "remove the last hidden layer", hidden.length === 0, () => configure({hidden: hidden.slice(0, -1)})),
    label);
  hidden.forEach((n, i) => {
    const layer = document.createElement("span");
    layer.className = "layer";
    const count = document.createElement("span");
    count.textContent = ` ${n} `;
    layer.append(
      button("−", `one unit fewer in layer ${i + 1}`, n <= 1, () => configure({hidden: hidden.map((m, j) => j === i ? m - 1 : m)})),
      count,
      button("+", `one unit more in layer ${i + 1}`, n >= width, () => configure({hidden: hidden.map((m, j) => j === i ? m + 1 : m)})));
    box.append(layer);
  });
}

async function loadPreset() {
  const name = $("preset").value;
  if (!name) return;
  await stop();
  const s = await guarded(() => api("preset", {name}));
  if (!s) return;
  setNotation(s.notation);
  applyState(s);
  const about = $("preset-about");
  about.textContent = state.presets[name].title + ": " + state.presets[name].about;
  about.hidden = false;
}

function setNotation(notation) {
  state.notation = notation;
  for (const radio of document.querySelectorAll("input[name=notation]")) radio.checked = radio.value === notation;
}

async function uploadCsv() {
  const file = $("csv-file").files[0];
  if (!file) return;
  await stop();
  if (file.size > (state.limits.max_upload_bytes || 2e6)) {
    showError(`${file.name} has ${file.size.toLocaleString()} bytes; the playground takes at most ` +
              (state.limits.max_upload_bytes || 2e6).toLocaleString());
    return;
  }
  const text = await file.text();
  const s = await guarded(() => api("upload", {name: file.name, text}));
  if (s) applyState(s);
  $("csv-file").value = "";
}

async function exportModel() {
  const blob = await guarded(() => api("export"));
  if (blob) download(URL.createObjectURL(blob), "glassnet-playground.safetensors");
}

async function exportReport(format) {
  const blob = await guarded(() => api("report", {format}));
  if (blob) download(URL.createObjectURL(blob), "glassnet-step." + (format === "html" ? "html" : "md"));
}

function exportPng() {
  download($("picture").toDataURL("image/png"), "glassnet-playground.png");
}

function download(url, name) {
  const a = document.createElement("a");
  a.href = url; a.download = name;
  document.body.append(a); a.click(); a.remove();
}

// ------------------------------------------------------------------ numbers and colours
function fmt(x, decimals = 5) {
  if (x === null || x === undefined) return "–";
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-5)) return x.toExponential(3);
  return x.toFixed(decimals);
}

function paren(x) { return x < 0 ? `(${fmt(x)})` : fmt(x); }

function bytes(b64) {
  const text = atob(b64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function hexRgb(hex) { return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)); }
const ORANGE = hexRgb("#f59322"), BLUE = hexRgb("#0877bd"), WHITE = [246, 247, 249];

function mix(a, b, t) { return [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)); }

// Colour tables, made once: a byte 0-255 across [lo, hi] -> orange (low) through white to blue (high); and per
// class, a byte of confidence -> that class's colour, from pale to strong.
const DIVERGING = Array.from({length: 256}, (_, v) => {
  const t = v / 255;
  return t < 0.5 ? mix(ORANGE, WHITE, t * 2) : mix(WHITE, BLUE, (t - 0.5) * 2);
});
const CLASS_SHADES = COLORS.map((c) => Array.from({length: 256}, (_, v) => mix(WHITE, hexRgb(c), 0.12 + 0.55 * v / 255)));

// Paint bytes into a reused small canvas through a colour table; returns the canvas, to be drawn scaled.
const scratch = new Map();
function paintBytes(key, width, height, count, colourOf) {
  let entry = scratch.get(key);
  if (!entry || entry.canvas.width !== width || entry.canvas.height !== height) {
    const canvas = document.createElement("canvas");
    canvas.width = width; canvas.height = height;
    const ctx = canvas.getContext("2d");
    entry = {canvas, ctx, image: ctx.createImageData(width, height)};
    scratch.set(key, entry);
  }
  const data = entry.image.data;
  for (let i = 0; i < count; i++) {
    const rgb = colourOf(i);
    data[4 * i] = rgb[0]; data[4 * i + 1] = rgb[1]; data[4 * i + 2] = rgb[2]; data[4 * i + 3] = 255;
  }
  entry.ctx.putImageData(entry.image, 0, 0);
  return entry.canvas;
}

// ------------------------------------------------------------------ the output picture
function drawPicture() {
  const canvas = $("picture"), ctx = canvas.getContext("2d");
  const f = state.frame, d = state.data;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!f || !f.picture) return;
  const p = f.picture, W = canvas.width, H = canvas.height;
  if (p.kind === "curve") return drawCurve(ctx, p, W, H);
  const n = p.width * p.height;
  let small;
  if (p.kind === "classes") {
    const cls = bytes(p.classes), conf = bytes(p.confidence);
    small = paintBytes("picture", p.width, p.height, n, (i) => CLASS_SHADES[cls[i] % COLORS.length][conf[i]]);
  } else {
    const values = bytes(p.data);
    small = paintBytes("picture", p.width, p.height, n, (i) => DIVERGING[values[i]]);
  }
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(small, 0, 0, W, H);
  const [x0, x1, y0, y1] = p.extent;
  const sx = (x) => (x - x0) / (x1 - x0) * W;
  const sy = p.height === 1 ? () => H / 2 : (y) => (1 - (y - y0) / (y1 - y0)) * H;
  drawPoints(ctx, d.train, sx, sy, "#ffffff", d);
  drawPoints(ctx, d.test, sx, sy, "#1d2433", d);
  drawAxes(ctx, p.extent, W, H, d, p.height === 1);
}

function pointColor(d, target) {
  if (d.kind !== "regression") return COLORS[target % COLORS.length];
  const [lo, hi] = state.frame.picture ? [state.frame.picture.lo, state.frame.picture.hi] : [0, 1];
  const rgb = DIVERGING[Math.round(Math.max(0, Math.min(255, (target - lo) / ((hi - lo) || 1) * 255)))];
  return `rgb(${rgb.join(",")})`;
}

function drawPoints(ctx, points, sx, sy, edge, d) {
  ctx.lineWidth = 1;
  ctx.strokeStyle = edge;
  for (let i = 0; i < points.x.length; i++) {
    ctx.beginPath();
    ctx.arc(sx(points.x[i]), sy(points.y ? points.y[i] : 0), 3.5, 0, 2 * Math.PI);
    ctx.fillStyle = pointColor(d, points.target[i]);
    ctx.fill();
    ctx.stroke();
  }
}

function drawAxes(ctx, extent, W, H, d, oneColumn) {
  ctx.fillStyle = "rgba(29,36,51,0.75)";
  ctx.font = "11px system-ui, sans-serif";
  const [x0, x1, y0, y1] = extent;
  ctx.textAlign = "left"; ctx.fillText(tick(x0), 3, H - 4);
  ctx.textAlign = "right"; ctx.fillText(tick(x1) + "  " + d.columns[d.plot[0]] + " →", W - 3, H - 4);
  if (!oneColumn) {
    ctx.textAlign = "left";
    ctx.fillText(tick(y1) + "  ↑ " + d.columns[d.plot[1]], 3, 12);
  }
}

function tick(x) { return Math.abs(x) >= 100 ? x.toFixed(0) : String(Math.round(x * 10) / 10); }

function drawCurve(ctx, p, W, H) {
  const d = state.data, [x0, x1] = p.extent;
  const all = [...d.train.target, ...d.test.target, ...p.values];
  let lo = Math.min(...all), hi = Math.max(...all);
  const pad = (hi - lo) * 0.1 || 1; lo -= pad; hi += pad;
  const sx = (x) => (x - x0) / (x1 - x0) * W, sy = (y) => (1 - (y - lo) / (hi - lo)) * H;
  ctx.fillStyle = "#f6f7f9"; ctx.fillRect(0, 0, W, H);
  ctx.strokeStyle = "#0a5fa3"; ctx.lineWidth = 2.5; ctx.beginPath();
  p.values.forEach((v, i) => {
    const x = sx(x0 + (x1 - x0) * i / (p.values.length - 1));
    if (i === 0) ctx.moveTo(x, sy(v)); else ctx.lineTo(x, sy(v));
  });
  ctx.stroke();
  for (const [points, edge] of [[d.train, "#ffffff"], [d.test, "#1d2433"]]) {
    for (let i = 0; i < points.x.length; i++) {
      ctx.beginPath();
      ctx.arc(sx(points.x[i]), sy(points.target[i]), 5, 0, 2 * Math.PI);
      ctx.fillStyle = "#f59322"; ctx.fill(); ctx.strokeStyle = edge; ctx.stroke();
    }
  }
  ctx.fillStyle = "rgba(29,36,51,0.75)"; ctx.font = "11px system-ui, sans-serif";
  ctx.textAlign = "right"; ctx.fillText(d.columns[d.plot[0]] + " →", W - 3, H - 4);
  ctx.textAlign = "left"; ctx.fillText("↑ target (points) and the network's output (line)", 3, 12);
}

function showLegend() {
  const box = $("legend"), d = state.data;
  box.replaceChildren();
  const item = (color, text) => {
    const span = document.createElement("span");
    const dot = document.createElement("span");
    dot.className = "swatch"; dot.style.background = color;
    span.append(dot, text);
    box.append(span);
  };
  if (d.kind === "regression") item("#0877bd", "high, orange low (a number to predict)");
  else d.class_names.forEach((name, k) => item(COLORS[k % COLORS.length], "class " + name));
  const note = document.createElement("span");
  note.className = "muted";
  note.textContent = `${d.n_train} train (white edge), ${d.n_test} test (dark edge)`;
  box.append(note);
}

// ------------------------------------------------------------------ the network picture
function layout() {
  const canvas = $("network"), sizes = state.network.sizes;
  const columns = sizes.length, most = Math.max(...sizes);
  const W = canvas.width, H = canvas.height, top = 22;
  const box = Math.max(6, Math.min(52, (H - top - 8) / (most * 1.3)));
  const gapX = (W - box - 40) / Math.max(1, columns - 1);
  const units = sizes.map((n, c) => {
    const x = 20 + c * gapX, span = n * box * 1.3, y0 = top + (H - top - span) / 2;
    return Array.from({length: n}, (_, j) => ({x, y: y0 + j * box * 1.3, size: box}));
  });
  return {units, box};
}

// A unit's map, scaled up by hand (nearest cell) and put straight into the canvas: cheaper than drawImage.
const heatImages = new Map();
function drawHeat(ctx, map, x, y, size, n) {
  const values = bytes(map.data), rows = values.length / n, side = Math.max(1, Math.floor(size));
  let image = heatImages.get(side);
  if (!image) { image = ctx.createImageData(side, side); heatImages.set(side, image); }
  const data = image.data;
  for (let py = 0; py < side; py++) {
    const row = Math.min(rows - 1, Math.floor(py * rows / side)) * n;
    for (let px = 0; px < side; px++) {
      const rgb = DIVERGING[values[row + Math.min(n - 1, Math.floor(px * n / side))]], k = 4 * (py * side + px);
      data[k] = rgb[0]; data[k + 1] = rgb[1]; data[k + 2] = rgb[2]; data[k + 3] = 255;
    }
  }
  ctx.putImageData(image, Math.round(x), Math.round(y));
}

function drawNetwork() {
  const canvas = $("network"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const f = state.frame;
  if (!f || !state.network) return;
  const {units} = layout();
  const weights = f.weights;
  let biggest = 0;
  for (const layer of weights) for (const row of layer.W) for (const w of row) biggest = Math.max(biggest, Math.abs(w || 0));
  const scale = 6 / Math.max(biggest, 1);
  // lines first, then the squares over them
  weights.forEach((layer, l) => {
    layer.W.forEach((row, i) => row.forEach((w, j) => {
      const a = units[l][i], b = units[l + 1][j];
      const hovered = state.hover && state.hover.kind === "weight" && state.hover.layer === l + 1 &&
        state.hover.from === i && state.hover.to === j;
      ctx.strokeStyle = w >= 0 ? "rgba(8,119,189,0.75)" : "rgba(245,147,34,0.8)";
      ctx.lineWidth = hovered ? 3 + Math.abs(w) * scale : Math.max(0.4, Math.abs(w) * scale);
      ctx.beginPath();
      ctx.moveTo(a.x + a.size, a.y + a.size / 2);
      ctx.lineTo(b.x, b.y + b.size / 2);
      ctx.stroke();
    }));
  });
  const n = state.data.plot.length === 1 ? null : 20;
  units.forEach((column, c) => column.forEach((u, j) => {
    const map = c === 0 ? state.featureMaps[j] : (f.picture ? f.picture.neurons[c - 1][j] : null);
    if (map) drawHeat(ctx, map, u.x, u.y, u.size, n || bytes(map.data).length);
    const picked = state.selected && state.selected.layer === c && state.selected.unit === j;
    ctx.strokeStyle = picked ? "#d62728" : "#1d2433";
    ctx.lineWidth = picked ? 3 : 1;
    ctx.strokeRect(u.x, u.y, u.size, u.size);
  }));
  ctx.fillStyle = "#6b7280"; ctx.font = "11px system-ui, sans-serif"; ctx.textAlign = "center";
  units.forEach((column, c) => {
    const label = c === 0 ? "inputs" : c === units.length - 1 ? "output" : "layer " + c;
    ctx.fillText(label, column[0].x + column[0].size / 2, 12);
  });
  if (units[0].length <= 12) {
    ctx.textAlign = "right";
    state.data.inputs.forEach((name, j) => {
      const u = units[0][j];
      ctx.save(); ctx.translate(u.x - 3, u.y + u.size / 2 + 4); ctx.fillText(name, 0, 0); ctx.restore();
    });
  }
}

function hitTest(e) {
  if (!state.frame || !state.network) return null;
  const canvas = $("network"), r = canvas.getBoundingClientRect();
  const x = (e.clientX - r.left) * canvas.width / r.width, y = (e.clientY - r.top) * canvas.height / r.height;
  const {units} = layout();
  for (let c = 0; c < units.length; c++) {
    for (let j = 0; j < units[c].length; j++) {
      const u = units[c][j];
      if (x >= u.x && x <= u.x + u.size && y >= u.y && y <= u.y + u.size) return {kind: "unit", layer: c, unit: j};
    }
  }
  let best = null, bestDistance = 6;
  state.frame.weights.forEach((layer, l) => layer.W.forEach((row, i) => row.forEach((w, j) => {
    const a = units[l][i], b = units[l + 1][j];
    const d = segmentDistance(x, y, a.x + a.size, a.y + a.size / 2, b.x, b.y + b.size / 2);
    if (d < bestDistance) { bestDistance = d; best = {kind: "weight", layer: l + 1, from: i, to: j}; }
  })));
  return best;
}

function segmentDistance(px, py, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay, len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len)) : 0;
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

// ------------------------------------------------------------------ the hovered weight's update, with its numbers
function updateText(l, i, j, isBias) {
  const t = state.frame.trace;
  const name = isBias ? `b${l}[${j}]` : `W${l}[${i}, ${j}]`;
  const now = isBias ? state.frame.weights[l - 1].b[j] : state.frame.weights[l - 1].W[i][j];
  const lines = [`${name} = ${fmt(now)}` + (isBias ? `  (bias of unit ${j + 1} in layer ${l})` :
    `  (from ${l === 1 ? "input" : "unit"} ${i + 1} of ${l === 1 ? "the inputs" : "layer " + (l - 1)} to unit ${j + 1} of layer ${l})`)];
  if (!t) return lines.concat("take a step to see its update").join("\n");
  const u = t.update[l - 1], o = t.optimizer;
  const pick = (m) => (isBias ? m[j] : m[i][j]);
  const before = pick(isBias ? u.b : u.W), g = pick(isBias ? u.db : u.dW), after = pick(isBias ? u.b_new : u.W_new);
  const state_ = isBias ? u.state_b : u.state_W;
  const decay = !isBias && o.l2 > 0;
  const grad = isBias ? "db" : "dW", w = isBias ? "b" : "w";
  const gText = decay ? `(${grad} + λ·${w})` : grad;
  const gNums = decay ? `(${fmt(g)} + ${o.l2} · ${paren(before)})` : paren(g);
  lines.push(`last step (${o.rule}, step ${o.t}):  ${grad} = ${fmt(g)}`);
  if (o.rule === "sgd") {
    lines.push(`${w} ← ${w} − lr · ${gText} = ${fmt(before)} − ${o.lr} · ${gNums} = ${fmt(after)}`);
  } else if (o.rule === "momentum") {
    const v = pick(state_.v);
    lines.push(`v ← ${o.momentum}·v + ${gText} = ${fmt(v)}`);
    lines.push(`${w} ← ${w} − lr · v = ${fmt(before)} − ${o.lr} · ${paren(v)} = ${fmt(after)}`);
  } else {
    const m = pick(state_.m), s = pick(state_.s);
    const mHat = m / (1 - o.beta1 ** o.t), sHat = s / (1 - o.beta2 ** o.t);
    lines.push(`m = ${fmt(m)}, s = ${fmt(s)};  m̂ = m / (1 − ${o.beta1}^${o.t}) = ${fmt(mHat)}, ` +
               `ŝ = s / (1 − ${o.beta2}^${o.t}) = ${fmt(sHat)}`);
    lines.push(`${w} ← ${w} − lr · m̂ / (√ŝ + ε) = ${fmt(before)} − ${o.lr} · ${paren(mHat)} / ` +
               `(${fmt(Math.sqrt(sHat))} + ${o.eps}) = ${fmt(after)}`);
  }
  return lines.join("\n");
}

function showTooltip() {
  const tip = $("tooltip"), h = state.hover, e = state.pointer;
  if (!h || !e || !state.frame) { tip.hidden = true; return; }
  let text;
  if (h.kind === "weight") {
    text = updateText(h.layer, h.from, h.to, false);
  } else if (h.layer === 0) {
    text = `input ${h.unit + 1}: ${state.data.inputs[h.unit]}`;
  } else {
    const layer = state.frame.weights[h.layer - 1];
    text = `unit ${h.unit + 1} of layer ${h.layer} (${state.network.activations[h.layer - 1]}); click to mark its ` +
      `column in Z${h.layer} and A${h.layer}`;
    if (layer.b) text += "\n" + updateText(h.layer, 0, h.unit, true);
  }
  tip.textContent = text;
  tip.hidden = false;
  tip.style.left = Math.min(e.clientX + 14, window.innerWidth - 530) + "px";
  tip.style.top = (e.clientY + 14) + "px";
}

// ------------------------------------------------------------------ loss curves, counters, units
function drawLoss() {
  const canvas = $("loss"), ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  const all = state.history, every = Math.ceil(all.length / 300);  // at most ~300 points drawn
  const h = every > 1 ? all.filter((_, i) => i % every === 0 || i === all.length - 1) : all;
  if (h.length < 1) return;
  let top = 0;
  for (const p of h) top = Math.max(top, p.train, p.test || 0);
  top = top || 1;
  const last = h[h.length - 1].steps || 1, first = h[0].steps;
  const sx = (s) => 4 + (W - 8) * (last === first ? 1 : (s - first) / (last - first));
  const sy = (v) => H - 14 - (H - 22) * v / top;
  for (const [key, color] of [["train", "#9aa3b2"], ["test", "#1d2433"]]) {
    ctx.strokeStyle = color; ctx.lineWidth = 1.5; ctx.beginPath();
    let started = false;
    for (const p of h) {
      if (p[key] === null) continue;
      if (!started) { ctx.moveTo(sx(p.steps), sy(p[key])); started = true; } else ctx.lineTo(sx(p.steps), sy(p[key]));
    }
    ctx.stroke();
  }
  ctx.fillStyle = "#6b7280"; ctx.font = "10px system-ui, sans-serif";
  ctx.textAlign = "left"; ctx.fillText(fmt(top, 3), 2, 9);
  ctx.textAlign = "right"; ctx.fillText(`step ${last}`, W - 2, H - 2);
}

function setText(id, text) {
  const el = $(id);
  if (el.textContent !== String(text)) el.textContent = text;  // untouched text costs the browser no layout
}

function showCounters() {
  const f = state.frame;
  setText("epoch-count", f.epoch);
  setText("step-count", f.steps);
  const shown = (scores, key) => (scores && scores[key] !== null && scores[key] !== undefined ? fmt(scores[key], 4) : "–");
  setText("train-loss", shown(f.train, "loss"));
  setText("test-loss", shown(f.test, "loss"));
  setText("train-metric", shown(f.train, "value"));
  setText("test-metric", shown(f.test, "value"));
}

function showUnits() {
  const table = $("units"), f = state.frame;
  table.replaceChildren();
  const row = (cells, tag = "td") => {
    const tr = document.createElement("tr");
    for (const c of cells) { const td = document.createElement(tag); td.textContent = c; tr.append(td); }
    table.append(tr);
  };
  row(["layer", "activation", "on the training rows"], "th");
  if (!f.units || !f.units.length) { row(["–", "no hidden layer", ""]); return; }
  f.units.forEach((u, l) => {
    let text = "–";
    if (u.saturated !== null) text = `${(100 * u.saturated).toFixed(1)}% of outputs saturated (|f'| < 1% of its max)`;
    if (u.dead !== null) text = `${(100 * u.dead).toFixed(1)}% of units dead (0 on every row)`;
    row([String(l + 1), u.activation, text]);
  });
}

// ------------------------------------------------------------------ the maths panel
const PARTS = {forward: "Forward pass", loss: "Loss", backward: "Backward pass", update: "Update"};

function showMaths() {
  const box = $("maths"), t = state.frame && state.frame.trace;
  box.replaceChildren();
  if (!t) {
    const p = document.createElement("p");
    p.className = "muted"; p.textContent = "Take a step to see every matrix of it.";
    box.append(p);
    $("trace-summary").textContent = "";
    return;
  }
  $("trace-summary").textContent = `step ${state.frame.steps}: a batch of ${t.rows} row${t.rows === 1 ? "" : "s"}`;
  let part = null;
  for (const b of t.blocks) {
    if (b.part !== part) {
      part = b.part;
      const head = document.createElement("div");
      head.className = "part"; head.textContent = PARTS[part];
      box.append(head);
    }
    box.append(mathsBlock(b));
  }
}

function mathsBlock(b) {
  const div = document.createElement("div");
  div.className = "block";
  div.dataset.name = b.name;
  const title = document.createElement("div");
  title.className = "title"; title.textContent = b.title;
  div.append(title);
  if (b.value !== undefined) {
    const f = document.createElement("div");
    f.className = "formula"; f.textContent = `${b.formula} = ${fmt(b.value)}`;
    div.append(f);
    return div;
  }
  if (b.formula) {
    const f = document.createElement("div");
    f.className = "formula"; f.textContent = b.formula;
    div.append(f);
  }
  const table = document.createElement("table");
  table.className = "matrix";
  const mark = state.selected && b.units && b.layer === state.selected.layer ? state.selected.unit : -1;
  b.rows.forEach((r, i) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.textContent = i === 0 ? b.name + " =" : "";
    tr.append(th);
    r.forEach((x, j) => {
      const td = document.createElement("td");
      td.textContent = Math.abs(x) >= 1e6 ? x.toExponential(3) : x.toFixed(5);
      if (j === mark) td.className = "mark";
      tr.append(td);
    });
    if (b.more_cols > 0) { const td = document.createElement("td"); td.textContent = "…"; tr.append(td); }
    table.append(tr);
  });
  if (b.more_rows > 0) {
    const tr = document.createElement("tr");
    tr.append(document.createElement("th"));
    const td = document.createElement("td");
    td.textContent = "⋮"; td.colSpan = b.rows[0].length;
    tr.append(td);
    table.append(tr);
  }
  div.append(table);
  if (b.more_rows > 0 || b.more_cols > 0) {
    const shape = document.createElement("div");
    shape.className = "shape";
    shape.textContent = `shape ${b.shape.join(" × ")}: the first ${b.rows.length} rows` +
      (b.more_cols > 0 ? ` and ${b.rows[0].length} columns` : "") + " shown";
    div.append(shape);
  }
  return div;
}

// ------------------------------------------------------------------ start
async function start() {
  buildControls();
  const s = await guarded(() => api("session"));
  if (!s) return;
  state.session = s.session;
  state.presets = s.presets;
  state.limits = s.limits;
  for (const [name, p] of Object.entries(s.presets)) {
    const option = document.createElement("option");
    option.value = name; option.textContent = p.title;
    $("preset").append(option);
  }
  applyState(s);
  document.body.dataset.ready = "true";
}

start();
