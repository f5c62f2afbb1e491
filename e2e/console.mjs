// End-to-end test of the operator console in Debian's Chromium, driven by playwright-core.
// scripts/e2e.sh starts the API (private database and Redis prefix) and passes its address
// and the worker's settings in the environment; this script starts the two worker processes
// itself, after it has made a document job that must fail (its uploaded file moved away).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { chromium } from "playwright-core";

const API = process.env.E2E_API;
const TOKEN = process.env.E2E_ADMIN_TOKEN;
const STORAGE = process.env.STORAGE_URL;
const SHOTS = process.env.E2E_SHOTS;
const LOGS = process.env.E2E_DIR;
const WORKER_BIN = process.env.E2E_WORKER_BIN;
for (const [name, value] of Object.entries({ API, TOKEN, STORAGE, SHOTS, LOGS, WORKER_BIN })) {
  assert.ok(value, `${name} must be set (scripts/e2e.sh sets it)`);
}
fs.mkdirSync(SHOTS, { recursive: true });

const step = (text) => console.log(`e2e: ${text}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (async, truthy when done) every 250 ms, up to `secs`. */
async function until(what, check, secs = 60) {
  const deadline = Date.now() + secs * 1000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function api(method, route, { token, json, form } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let body;
  if (json) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  const response = await fetch(`${API}${route}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function upload(token, name, text) {
  const form = new FormData();
  form.append("document", new Blob([text], { type: "text/plain" }), name);
  const { status, body } = await api("POST", "/api/documents/upload", { token, form });
  assert.equal(status, 202, JSON.stringify(body));
  return body.documentId;
}

const docStatus = async (token, id) =>
  (await api("GET", `/api/documents/${id}/status`, { token })).body.status;

/** A port nothing listens on now. */
const freePort = () =>
  new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const workers = [];
function startWorker(name, queues, port) {
  const log = fs.openSync(path.join(LOGS, `worker-${name}.log`), "a");
  const child = spawn(WORKER_BIN, [], {
    env: { ...process.env, WORKER_NAME: `e2e-${name}`, WORKER_QUEUES: queues, WORKER_PORT: String(port) },
    stdio: ["ignore", log, log],
  });
  workers.push(child);
  step(`worker ${name} started (pid ${child.pid}): ${queues}`);
}

async function count(page, queue, state) {
  const cell = page.locator(`tr[data-queue="${queue}"] td[data-count="${state}"]`);
  return Number((await cell.innerText()).trim());
}

async function main() {
  // An organization with a document whose upload is gone: its job dies at once.
  const email = `e2e-${Date.now()}@example.com`;
  const reg = await api("POST", "/api/auth/register", {
    json: { email, password: "e2e-password-123", name: "E2E Owner", organizationName: "E2E Org" },
  });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const { token } = reg.body;
  const org = reg.body.organization.id;
  const broken = await upload(token, "broken.txt", "this file goes missing before a worker runs");
  const dir = path.join(STORAGE, org, broken);
  const [file] = fs.readdirSync(dir);
  const aside = path.join(LOGS, "moved-aside.txt");
  fs.renameSync(path.join(dir, file), aside);
  step(`document ${broken} uploaded, its file moved away`);

  const metricsPort = await freePort();
  startWorker("documents", "document-processing", metricsPort);
  startWorker("messaging", "email,webhook-delivery,analytics-aggregation,sweeper", await freePort());
  await until("the document to fail", async () => (await docStatus(token, broken)) === "failed");
  step("the worker failed the document: its job is dead");
  // The worker's /metrics carries every queue's gauges (what alerts and autoscalers read).
  const gauges = await until("the queue gauges", async () => {
    const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text(), () => "");
    return /jobs_queue_dead\{queue="document-processing"\} 1\b/.test(text) && text;
  });
  for (const gauge of ["waiting", "running", "scheduled", "retrying", "oldest_waiting_seconds", "paused"]) {
    assert.match(gauges, new RegExp(`jobs_queue_${gauge}\\{queue="email"\\}`), gauge);
  }
  step("worker /metrics: per-queue gauges, the dead job counted");

  const browser = await chromium.launch({
    executablePath: process.env.E2E_CHROMIUM || "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    const cspErrors = [];
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    page.on("dialog", (d) => d.accept());

    // Sign in: no data before, the queues after.
    const first = await page.goto(`${API}/admin`);
    assert.equal(first.status(), 401);
    assert.equal(await page.locator("tr[data-queue]").count(), 0, "no data before signing in");
    await page.fill('input[name="token"]', "not-the-operator-token");
    await page.click('form[action="/admin/login"] button');
    assert.match(await page.locator(".error").innerText(), /not the operator token/);
    await page.fill('input[name="token"]', TOKEN);
    await page.click('form[action="/admin/login"] button');
    await page.waitForURL(`${API}/admin`);
    step("signed in");

    await until("both worker processes in the console", async () => {
      await page.reload();
      return (await page.locator("#workers tr[data-worker]").count()) === 2;
    });
    assert.equal(await count(page, "document-processing", "dead"), 1);
    assert.ok((await count(page, "email", "done")) >= 1, "the welcome mail was sent");
    for (const q of ["document-processing", "email", "webhook-delivery", "analytics-aggregation", "sweeper"]) {
      assert.equal(await page.locator(`tr[data-queue="${q}"]`).count(), 1, q);
    }
    await page.screenshot({ path: path.join(SHOTS, "console-overview.png"), fullPage: true });
    step("queues with their counts and two live workers");

    // The dead job, with its error and its row; retry it once the file is back.
    await page.click('tr[data-queue="document-processing"] td[data-count="dead"] a');
    const row = page.locator("#jobs tr[data-job]", { hasText: broken });
    assert.equal(await row.count(), 1, "the dead job lists its document");
    assert.match(await row.innerText(), /the uploaded file is missing/);
    assert.match(await row.innerText(), new RegExp(org));
    const job = await row.getAttribute("data-job");
    await page.screenshot({ path: path.join(SHOTS, "console-dead.png"), fullPage: true });
    fs.renameSync(aside, path.join(dir, file));
    await row.locator('button:text("Retry")').click();
    assert.match(await page.locator(".notice").innerText(), /queued again/);
    assert.equal(await page.locator(`#jobs tr[data-job="${job}"]`).count(), 0, "left the dead list");
    await until("the retried job to complete", async () => {
      await page.goto(`${API}/admin/jobs?queue=document-processing&id=${job}`);
      return (await page.locator('#job[data-state="done"]').count()) === 1;
    });
    assert.equal(await docStatus(token, broken), "completed");
    step(`job ${job} retried from the console and completed`);

    // Pause: a new job waits while the queue is paused, and runs after the resume.
    await page.goto(`${API}/admin`);
    await page.locator('tr[data-queue="document-processing"] button:text("Pause")').click();
    await page.waitForSelector('tr[data-queue="document-processing"] .badge.paused');
    const waiting = await upload(token, "waits.txt", "uploaded while the queue is paused");
    assert.equal(await page.locator("p.warn").count(), 0, "every worker honours pauses");
    await sleep(3000);
    await page.reload();
    assert.equal(await count(page, "document-processing", "waiting"), 1, "the new job waits");
    assert.equal(await docStatus(token, waiting), "queued");
    step("paused: the new job waits");
    await page.screenshot({ path: path.join(SHOTS, "console-paused.png"), fullPage: true });
    await page.locator('tr[data-queue="document-processing"] button:text("Resume")').click();
    await page.waitForSelector('tr[data-queue="document-processing"] .badge.running');
    await until("the waiting document to complete", async () => (await docStatus(token, waiting)) === "completed");
    step("resumed: the job ran");

    const audit = await page.locator("table.audit").innerText();
    for (const action of ["console.sign_in", "job.retry", "queue.pause", "queue.resume"]) {
      assert.match(audit, new RegExp(action.replace(".", "\\.")), `${action} audited`);
    }

    // The API viewer loads its embedded script under its CSP.
    await page.goto(`${API}/docs`);
    await page.waitForSelector("text=EchoSenseiX API", { timeout: 30000 });
    await page.screenshot({ path: path.join(SHOTS, "docs.png") });
    assert.deepEqual(cspErrors, [], "no CSP violations on the console or /docs");
    step("/docs renders from the embedded viewer");

    const load = Number(process.env.E2E_LOAD || 0);
    if (load > 0) await underLoad(page, token, load);
  } finally {
    await browser.close();
  }
}

/**
 * E2E_LOAD=N (not part of `make test`): N webhook test deliveries to a local receiver that
 * takes 1.5 s per request and fails every tenth, then a screenshot of the console while the
 * two workers work through them. Reports what the page shows; asserts only that it loads.
 */
async function underLoad(page, token, n) {
  let hits = 0;
  const receiver = http.createServer((req, res) => {
    req.resume();
    const fail = ++hits % 10 === 0;
    setTimeout(() => res.writeHead(fail ? 500 : 200).end(), 1500);
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${receiver.address().port}/hook`;
  const hook = await api("POST", "/api/webhooks", { token, json: { url, events: ["agent.created"] } });
  assert.equal(hook.status, 201, JSON.stringify(hook.body));
  step(`queueing ${n} webhook deliveries to ${url}`);
  const started = Date.now();
  let sent = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (sent < n) {
        sent++;
        const r = await api("POST", `/api/webhooks/${hook.body.id}/test`, { token });
        assert.equal(r.status, 202, JSON.stringify(r.body));
      }
    }),
  );
  step(`queued ${n} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await sleep(20000);
  await page.goto(`${API}/admin`);
  await page.screenshot({ path: path.join(SHOTS, "console-load.png"), fullPage: true });
  const row = await page.locator('tr[data-queue="webhook-delivery"]').innerText();
  step(`webhook-delivery row under load: ${row.replace(/\s+/g, " ")}`);
  step(`workers: ${(await page.locator("#workers tbody").innerText()).replace(/\s+/g, " ")}`);
  await page.goto(`${API}/admin/queues/webhook-delivery?set=scheduled`);
  await page.screenshot({ path: path.join(SHOTS, "console-load-scheduled.png"), fullPage: true });
  receiver.close();
  receiver.closeAllConnections();
}

try {
  await main();
  step(`passed; screenshots in ${SHOTS}`);
} catch (error) {
  console.error(`e2e: FAILED: ${error.stack || error}`);
  process.exitCode = 1;
} finally {
  for (const w of workers) w.kill("SIGTERM");
  await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r() : w.on("exit", r)))));
}
