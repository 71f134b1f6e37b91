// Enclave's web page: a client of the JSON API on the same origin, without a build step or a dependency.
//
// The API key lives in a variable and in sessionStorage, so that a reload keeps it for this tab only and
// closing the tab forgets it; it is never written to localStorage or a cookie. It is sent as
// "Authorization: Bearer <key>" on every call. EventSource cannot send headers, so the streamed answer is
// read from fetch()'s body as Server-Sent Events. Every value from the server is put into the page with
// textContent, never parsed as HTML.
"use strict";

const KEY_SLOT = "enclave.apiKey";
let apiKey = sessionStorage.getItem(KEY_SLOT) || "";
let principal = null;
let askAbort = null;

const $ = (id) => document.getElementById(id);

function element(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.text !== undefined) node.textContent = String(options.text);
  if (options.className) node.className = options.className;
  for (const [name, value] of Object.entries(options.attrs || {})) node.setAttribute(name, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

// ---- the API -------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
  }
}

function authHeaders(extra = {}) {
  const headers = { ...extra };
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  return headers;
}

async function problemOf(response) {
  try {
    const body = await response.json();
    return new ApiError(response.status, body.title || response.statusText, body.detail || "");
  } catch {
    return new ApiError(response.status, response.statusText || "Request failed", "");
  }
}

async function api(path, options = {}) {
  const init = { ...options, headers: authHeaders(options.headers), cache: "no-store", credentials: "omit" };
  if (options.json !== undefined) {
    init.method = init.method || "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.json);
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    const error = await problemOf(response);
    if (error.status === 401) askForKey(error.message);
    throw error;
  }
  return response.json();
}

// Server-Sent Events from a fetch() body: blocks separated by a blank line, "event:" and "data:" fields.
async function* serverSentEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary;
    while ((boundary = /\r?\n\r?\n/.exec(buffer))) {
      const block = buffer.slice(0, boundary.index);
      buffer = buffer.slice(boundary.index + boundary[0].length);
      const event = { event: "message", data: [] };
      for (const line of block.split(/\r?\n/)) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event.event = text;
        else if (field === "data") event.data.push(text);
      }
      if (event.data.length) yield { event: event.event, data: event.data.join("\n") };
    }
  }
}

// ---- the key -------------------------------------------------------------------------------------------

function askForKey(message) {
  $("whoami").textContent = message || "Enter your API key.";
  $("key-input").focus();
}

async function identify() {
  try {
    principal = await api("/v1/me");
  } catch (error) {
    principal = null;
    $("tab-admin").hidden = true;
    if (error.status !== 401) $("whoami").textContent = `Cannot reach the server: ${error.message}`;
    return;
  }
  const scope = principal.collections.includes("*") ? "every collection" : principal.collections.join(", ");
  $("whoami").textContent = principal.auth_required
    ? `Key ${principal.key_id}${principal.label ? ` (${principal.label})` : ""}: ${principal.role}, ${scope}.`
    : "No API key is configured: the server is open to this machine only.";
  $("tab-admin").hidden = principal.role !== "admin";
  await loadCollections();
}

function setupKey() {
  $("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    apiKey = $("key-input").value.trim();
    $("key-input").value = "";
    if (apiKey) sessionStorage.setItem(KEY_SLOT, apiKey);
    else sessionStorage.removeItem(KEY_SLOT);
    await identify();
  });
  $("key-forget").addEventListener("click", async () => {
    apiKey = "";
    sessionStorage.removeItem(KEY_SLOT);
    $("whoami").textContent = "Key forgotten.";
    await identify();
  });
}

// ---- tabs ----------------------------------------------------------------------------------------------

function visibleTabs() {
  return [...document.querySelectorAll('[role="tab"]')].filter((tab) => !tab.hidden);
}

function selectTab(tab) {
  for (const other of document.querySelectorAll('[role="tab"]')) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
  const onShow = { "tab-documents": loadDocuments, "tab-admin": loadAdmin, "tab-tickets": loadLabelSets }[tab.id];
  if (onShow) onShow();
}

function setupTabs() {
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const tabs = visibleTabs();
      const index = tabs.indexOf(tab);
      const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      const next = tabs[(moves[event.key] + tabs.length) % tabs.length];
      next.focus();
      selectTab(next);
    });
  }
}

// ---- collections ---------------------------------------------------------------------------------------

let collections = [];

async function loadCollections() {
  try {
    collections = (await api("/v1/collections")).collections;
  } catch {
    collections = [];
  }
  const names = collections.map((c) => c.name);
  const fallback = principal ? principal.default_collection : "default";
  if (!names.length) names.push(fallback);
  const select = $("ask-collection");
  const chosen = select.value || (names.includes(fallback) ? fallback : names[0]);
  select.replaceChildren(...names.map((name) => element("option", { text: name, attrs: { value: name } })));
  select.value = names.includes(chosen) ? chosen : names[0];
  $("collection-names").replaceChildren(...names.map((name) => element("option", { attrs: { value: name } })));
  if (!$("doc-collection").value) $("doc-collection").value = select.value;
}

// ---- ask -----------------------------------------------------------------------------------------------

// Where in the file: the location when there is one ("sheet Customers, rows 2-120"), else the page. Text read
// by OCR has its own badge, so the "(OCR)" an OCR page's location ends with is not repeated beside it.
function where(item) {
  const place = item.location || `page ${item.page}`;
  return item.ocr ? place.replace(/ \(OCR\)$/, "") : place;
}

function ocrBadge(item) {
  if (!item.ocr) return null;
  const title = "Read by OCR from a scanned page or an image: check it against the original.";
  return element("span", { className: "badge ocr", text: "OCR", attrs: { title } });
}

// The chunk's text with the quoted spans marked: text nodes and <mark> elements only, never HTML.
function highlighted(text, spans) {
  const nodes = [];
  let at = 0;
  for (const span of [...spans].sort((a, b) => a.start - b.start)) {
    if (span.start < at || span.end > text.length) continue;
    nodes.push(document.createTextNode(text.slice(at, span.start)));
    nodes.push(element("mark", { className: "quoted", text: text.slice(span.start, span.end) }));
    at = span.end;
  }
  nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}

function evidenceItem(quote) {
  const item = element("li", {}, [
    element("q", { text: quote.text }),
    element("span", { className: "where", text: `[${quote.n}] ${quote.source}, ${where(quote)}` }),
    ocrBadge(quote),
  ]);
  item.dataset.source = quote.source;
  item.dataset.chunkId = quote.chunk_id;
  return item;
}

function showEvidence(evidence) {
  $("evidence").replaceChildren(...evidence.map(evidenceItem));
  $("evidence-heading").hidden = !evidence.length;
}

function citationCard(citation, evidence = []) {
  const quoted = evidence.filter((quote) => quote.chunk_id === citation.chunk_id);
  const summary = element("summary", {}, [
    element("span", { className: "n", text: `[${citation.n}]` }),
    element("span", { className: "source", text: citation.source }),
    element("span", { className: "page", text: where(citation) }),
    ocrBadge(citation),
    element("span", { className: "score", text: `similarity ${citation.similarity.toFixed(2)}` }),
    element("span", { className: "score", text: `rank score ${citation.score.toFixed(4)}` }),
    citation.cited ? element("span", { className: "badge", text: "cited" }) : null,
  ]);
  const passage = element("blockquote", { className: "passage" }, highlighted(citation.text, quoted));
  const card = element("li", { className: citation.cited ? "card cited" : "card" }, [
    element("details", {}, [summary, passage]),
  ]);
  card.dataset.source = citation.source;
  card.dataset.page = String(citation.page);
  return card;
}

function showAnswer(body) {
  const answer = $("answer");
  const quotesOnly = body.state === "quotes-only";
  showEvidence(body.evidence || []);
  $("answer-text").textContent = body.answered && !quotesOnly ? body.answer : "";
  $("answer-text").hidden = !body.answered || quotesOnly;
  $("answer-nosay").hidden = body.answered;
  const check = $("answer-check");
  check.hidden = !body.answered;
  check.dataset.verified = String(body.verified);
  check.textContent = body.verified
    ? "Checked against the sources."
    : `Not checked: ${body.reason || "no written answer"}.${quotesOnly ? " The quotes above stand alone." : ""}`;
  $("citations").replaceChildren(...body.citations.map((citation) => citationCard(citation, body.evidence || [])));
  $("citations-heading").hidden = !body.citations.length;
  const seconds = body.timings.total_seconds;
  const guard = Object.entries(body.guard || {}).map(([type, count]) => `${type} ${count}`);
  $("answer-meta").textContent = [
    seconds !== undefined ? `Answered in ${Number(seconds).toFixed(1)} s.` : "",
    `Searched as: “${body.question}”.`,
    guard.length ? `Removed from the answer: ${guard.join(", ")}.` : "",
  ].join(" ");
  answer.dataset.state = "done";
  answer.dataset.answered = String(body.answered);
  answer.dataset.verified = String(body.verified);
  answer.dataset.answerState = body.state;
}

async function ask(question, collection) {
  const answer = $("answer");
  answer.hidden = false;
  answer.dataset.state = "streaming";
  answer.dataset.tokens = "0";
  answer.setAttribute("aria-busy", "true");
  $("answer-text").hidden = false;
  $("answer-text").textContent = "";
  $("answer-nosay").hidden = true;
  $("answer-check").hidden = true;
  $("answer-meta").textContent = "";
  showEvidence([]);
  $("citations").replaceChildren();
  $("citations-heading").hidden = true;
  $("ask-status").textContent = "Searching the documents…";
  askAbort = new AbortController();
  $("ask-submit").disabled = true;
  $("ask-stop").hidden = false;
  try {
    const response = await fetch("/v1/ask?stream=true", {
      method: "POST",
      headers: authHeaders({ "Content-Type": "application/json", Accept: "text/event-stream" }),
      body: JSON.stringify({ question, collection }),
      cache: "no-store",
      credentials: "omit",
      signal: askAbort.signal,
    });
    if (!response.ok) {
      const error = await problemOf(response);
      if (error.status === 401) askForKey(error.message);
      throw error;
    }
    let tokens = 0;
    for await (const event of serverSentEvents(response)) {
      const body = JSON.parse(event.data);
      if (event.event === "evidence") {
        showEvidence(body);
        $("ask-status").textContent = "Evidence found; checking an answer…";
      } else if (event.event === "token") {
        tokens += 1;
        answer.dataset.tokens = String(tokens);
        $("answer-text").textContent += body.text;
        $("ask-status").textContent = "Answering…";
      } else if (event.event === "answer") {
        showAnswer(body);
        $("ask-status").textContent = body.answered ? "Answer complete." : "The documents do not say.";
      } else if (event.event === "error") {
        throw new ApiError(body.status, body.title, body.detail);
      }
    }
    if (answer.dataset.state !== "done") throw new Error("the answer stopped before it was complete");
  } catch (error) {
    answer.dataset.state = "error";
    $("ask-status").textContent =
      error.name === "AbortError" ? "Stopped." : `The question could not be answered: ${error.message}`;
  } finally {
    answer.setAttribute("aria-busy", "false");
    $("ask-submit").disabled = false;
    $("ask-stop").hidden = true;
    askAbort = null;
  }
}

function setupAsk() {
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = $("ask-question").value.trim();
    if (question) ask(question, $("ask-collection").value);
  });
  $("ask-stop").addEventListener("click", () => askAbort && askAbort.abort());
}

// ---- documents -----------------------------------------------------------------------------------------

function redactionText(redactions) {
  const entries = Object.entries(redactions || {}).filter(([, count]) => count > 0);
  return entries.length ? entries.map(([type, count]) => `${type} ${count}`).join(", ") : "nothing";
}

function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function documentCollection() {
  const input = $("doc-collection");
  return input.checkValidity() ? input.value.trim() : "";
}

async function loadDocuments() {
  const collection = documentCollection();
  $("documents-collection").textContent = collection || "(no collection)";
  const body = $("documents-table").tBodies[0];
  if (!collection) {
    body.replaceChildren();
    $("documents-status").textContent = "Name a valid collection first.";
    return;
  }
  try {
    const { documents } = await api(`/v1/documents?collection=${encodeURIComponent(collection)}`);
    body.replaceChildren(...documents.map(documentRow));
    $("documents-status").textContent = documents.length ? "" : "No document in this collection yet.";
  } catch (error) {
    body.replaceChildren();
    $("documents-status").textContent = `Cannot list the documents: ${error.message}`;
  }
}

function documentRow(doc) {
  const remove = element("button", {
    text: "Delete",
    className: "danger",
    attrs: { type: "button", "aria-label": `Delete ${doc.source}` },
  });
  remove.addEventListener("click", () => deleteDocument(doc));
  const status = doc.status === "failed" && doc.reason ? `failed: ${doc.reason}` : doc.status;
  const row = element("tr", {}, [
    element("th", { text: doc.source, attrs: { scope: "row" } }),
    element("td", { text: status }),
    element("td", { text: doc.pages }),
    element("td", { text: doc.chunks, className: "chunks" }),
    element("td", { text: redactionText(doc.redactions) }),
    element("td", {}, [remove]),
  ]);
  row.dataset.source = doc.source;
  return row;
}

async function deleteDocument(doc) {
  if (!window.confirm(`Delete ${doc.source} from ${doc.collection}? Its chunks and vectors are erased.`)) return;
  let message;
  try {
    await api(`/v1/documents/${encodeURIComponent(doc.document_id)}?collection=${encodeURIComponent(doc.collection)}`, {
      method: "DELETE",
    });
    message = `${doc.source} deleted.`;
  } catch (error) {
    message = `Cannot delete ${doc.source}: ${error.message}`;
  }
  await loadCollections();
  await loadDocuments();
  $("documents-status").textContent = message;
}

// XMLHttpRequest rather than fetch(): only it reports upload progress.
function uploadFile(file, collection) {
  const progress = element("progress", { attrs: { max: "100", value: "0", "aria-label": `Upload of ${file.name}` } });
  const status = element("span", { className: "upload-status", text: "Waiting…" });
  const item = element("li", { className: "upload" }, [element("span", { className: "name", text: file.name }), progress, status]);
  item.dataset.state = "uploading";
  $("upload-results").prepend(item);
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    const replace = $("upload-replace").checked ? "&replace=true" : "";
    xhr.open("POST", `/v1/documents?collection=${encodeURIComponent(collection)}${replace}`);
    if (apiKey) xhr.setRequestHeader("Authorization", `Bearer ${apiKey}`);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = Math.round((100 * event.loaded) / event.total);
      status.textContent = "Uploading…";
    });
    xhr.upload.addEventListener("load", () => {
      progress.removeAttribute("value"); // indeterminate while the server redacts, chunks and embeds
      status.textContent = "Redacting, chunking and embedding…";
    });
    const finish = (state, text) => {
      progress.value = 100;
      item.dataset.state = state;
      status.textContent = text;
      resolve();
    };
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status === 201 && body) {
        const result = body.documents[0];
        if (result.status === "failed") finish("failed", `Failed: ${result.reason}`);
        else finish("done", `${result.status}: ${plural(result.chunks, "chunk")}; redacted ${redactionText(result.redactions)}`);
      } else {
        const detail = body && (body.detail || body.title);
        if (xhr.status === 401) askForKey(detail);
        finish("failed", `Failed (${xhr.status}): ${detail || xhr.statusText}`);
      }
    });
    xhr.addEventListener("error", () => finish("failed", "Failed: the server could not be reached"));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

async function uploadFiles(files) {
  const collection = documentCollection();
  if (!collection) {
    $("documents-status").textContent = "Name a valid collection before uploading.";
    $("doc-collection").focus();
    return;
  }
  // One at a time: the server ingests under one write lock anyway, and progress stays readable.
  for (const file of files) await uploadFile(file, collection);
  await loadCollections();
  await loadDocuments();
}

function setupDocuments() {
  const input = $("upload-input");
  input.addEventListener("change", async () => {
    const files = [...input.files];
    input.value = "";
    if (files.length) await uploadFiles(files);
  });
  const zone = $("dropzone");
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (event) => {
      event.preventDefault();
      zone.classList.add("over");
    });
  }
  for (const name of ["dragleave", "drop"]) zone.addEventListener(name, () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    const files = [...event.dataTransfer.files];
    if (files.length) uploadFiles(files);
  });
  $("doc-collection").addEventListener("change", loadDocuments);
  $("documents-refresh").addEventListener("click", loadDocuments);
}

// ---- tickets -------------------------------------------------------------------------------------------

function ticketLabels() {
  const picked = [...document.querySelectorAll('#ticket-form input[name="label"]:checked')].map((box) => box.value);
  const typed = $("ticket-extra")
    .value.split(",")
    .map((label) => label.trim())
    .filter(Boolean);
  return [...new Set([...picked, ...typed])];
}

async function loadLabelSets() {
  const select = $("ticket-labelset");
  const chosen = select.value;
  try {
    const sets = await api("/v1/labelsets");
    select.replaceChildren(
      element("option", { text: "The labels below", attrs: { value: "" } }),
      ...sets.map((set) =>
        element("option", {
          text: `${set.name} (${set.labels.length} labels, ${set.model === "trained" ? `${set.examples} examples` : "untrained"})`,
          attrs: { value: set.name },
        }),
      ),
    );
    select.value = sets.some((set) => set.name === chosen) ? chosen : "";
  } catch {
    // Label sets are optional: without them (or without the right to list them) the labels below are used.
  }
  $("ticket-adhoc").disabled = Boolean(select.value);
}

function setupTickets() {
  $("ticket-labelset").addEventListener("change", () => {
    $("ticket-adhoc").disabled = Boolean($("ticket-labelset").value);
  });
  $("ticket-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("ticket-text").value.trim();
    const labelset = $("ticket-labelset").value;
    const labels = ticketLabels();
    if (!text) return;
    if (!labelset && labels.length < 2) {
      $("ticket-status").textContent = "Pick or type at least two labels, or choose a label set.";
      return;
    }
    const minConfidence = Number($("ticket-min-confidence").value) || 0;
    const result = $("ticket-result");
    result.hidden = true;
    result.dataset.state = "working";
    $("ticket-submit").disabled = true;
    $("ticket-status").textContent = "Classifying…";
    try {
      const choice = labelset ? { labelset } : { labels };
      const classified = await api("/v1/tickets/classify", {
        json: { text, ...choice, multi_label: $("ticket-multi").checked, min_confidence: minConfidence },
      });
      $("ticket-label").textContent =
        classified.label === null ? "none: left to a human" : classified.labels.join(", ") || classified.label;
      $("ticket-confidence").textContent = `(confidence ${classified.confidence.toFixed(2)})`;
      const ranked = Object.entries(classified.scores).sort((a, b) => b[1] - a[1]);
      $("ticket-scores").tBodies[0].replaceChildren(
        ...ranked.map(([label, score]) =>
          element("tr", {}, [
            element("th", { text: label, attrs: { scope: "row" } }),
            element("td", {}, [
              element("meter", { attrs: { min: "0", max: "1", value: String(score), "aria-label": `${label} score` } }),
              element("span", { className: "score", text: ` ${score.toFixed(3)}` }),
            ]),
          ]),
        ),
      );
      $("ticket-summary").textContent = "";
      result.hidden = false;
      $("ticket-status").textContent = "Summarizing…";
      const summary = await api("/v1/tickets/summarize", { json: { text } });
      $("ticket-summary").textContent = summary.summary;
      $("ticket-status").textContent = "Done.";
      result.dataset.state = "done";
    } catch (error) {
      result.dataset.state = "error";
      $("ticket-status").textContent = `The ticket could not be processed: ${error.message}`;
    } finally {
      $("ticket-submit").disabled = false;
    }
  });
}

// ---- admin ---------------------------------------------------------------------------------------------

function cells(values) {
  return values.map((value) => element("td", { text: value ?? "" }));
}

async function loadAdmin() {
  $("admin-status").textContent = "";
  try {
    await loadCollections();
    $("admin-collections").tBodies[0].replaceChildren(
      ...collections.map((c) =>
        element("tr", {}, [element("th", { text: c.name, attrs: { scope: "row" } }), ...cells([c.documents, c.chunks])]),
      ),
    );
    const { keys } = await api("/v1/admin/keys");
    $("admin-keys").tBodies[0].replaceChildren(
      ...keys.map((key) =>
        element("tr", {}, [
          element("th", { text: key.id, attrs: { scope: "row" } }),
          ...cells([key.label, key.role, key.collections.join(", "), key.created_at]),
          element("td", { text: key.active ? "active" : `revoked ${key.revoked_at}` }),
        ]),
      ),
    );
    if (!keys.length) $("admin-status").textContent = "No API key exists yet: create one with `enclave keys create`.";
    await loadAudit();
  } catch (error) {
    $("admin-status").textContent = `Cannot load the administration data: ${error.message}`;
  }
}

async function loadAudit() {
  const form = new FormData($("audit-form"));
  const query = new URLSearchParams();
  for (const [name, value] of form) if (String(value).trim()) query.set(name, String(value).trim());
  const page = await api(`/v1/admin/audit?${query}`);
  $("audit-count").textContent = `${page.records.length} of ${page.matched} matching records, newest first.`;
  $("audit-table").tBodies[0].replaceChildren(
    ...page.records.map((record) => {
      const row = element("tr", {}, [
        element("td", { text: record.time }),
        ...cells([record.key_id, `${record.method} ${record.route}`, record.status, record.duration_ms]),
        ...cells([record.collection, record.question]),
      ]);
      row.dataset.route = record.route;
      return row;
    }),
  );
}

function setupAdmin() {
  $("audit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await loadAudit();
    } catch (error) {
      $("audit-count").textContent = `Cannot read the audit trail: ${error.message}`;
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setupKey();
  setupTabs();
  setupAsk();
  setupDocuments();
  setupTickets();
  setupAdmin();
  identify();
});
