// Browser tests of the chat page against a running `govchat serve`
// (scripts/test-browser.sh starts one and sets the environment):
//
//   GOVCHAT_URL         the server, like http://127.0.0.1:8123
//   CHROMIUM            the chromium executable
//   CHROMIUM_PROFILE    a fresh, empty profile directory
//   GOVCHAT_OUT         where the screenshot goes (default out/browser)
//
// Run with `node --test web/test/`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const base = process.env.GOVCHAT_URL;
const out = process.env.GOVCHAT_OUT || "out/browser";
const timeout = 90_000;

const PASSPORT = "My passport still has about 6 months on it. If I renew early do I lose that time?";
const PII = "my NI number is QQ 12 34 56 C, how do I check my state pension?";

let context;

before(async () => {
  assert.ok(base, "GOVCHAT_URL is not set: run scripts/test-browser.sh");
  assert.ok(process.env.CHROMIUM, "CHROMIUM is not set: run scripts/test-browser.sh");
  context = await chromium.launchPersistentContext(process.env.CHROMIUM_PROFILE, {
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1024, height: 900 },
  });
});

after(async () => {
  await context?.close();
});

// open loads the page in a new tab with a fresh session, and collects the
// page's errors, including any Content-Security-Policy violation.
async function open() {
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400) problems.push(`${res.status()} ${res.url()}`);
  });
  await page.goto(`${base}/`);
  await page.evaluate(() => window.sessionStorage.clear());
  await page.reload();
  // The script has taken over the form once the websocket has said hello:
  // the notice then comes from the server.
  await page.waitForFunction(() => document.body.classList.contains("js-enabled"));
  await page.waitForFunction(() => document.querySelector("#question-group .govuk-character-count__status") !== null,
    null, { timeout: 15_000 });
  return { page, problems };
}

// watchAnswer records the text of the newest answer each time the
// conversation changes, and whether the answer was finished then.
async function watchAnswer(page) {
  await page.evaluate(() => {
    window.__updates = [];
    const list = document.getElementById("conversation");
    new MutationObserver(() => {
      const answers = list.querySelectorAll(".app-turn--answer");
      const last = answers[answers.length - 1];
      if (!last) return;
      const body = last.querySelector(".app-answer__body");
      window.__updates.push({ text: body ? body.textContent : "", done: Boolean(last.dataset.status) });
    }).observe(list, { childList: true, subtree: true, characterData: true, attributes: true });
  });
}

async function lastAnswer(page) {
  const answer = page.locator(".app-turn--answer").last();
  await answer.locator("xpath=self::*[@data-status]").waitFor({ timeout: 60_000 });
  return answer;
}

test("the page explains itself and has no inline code", { timeout }, async () => {
  const { page, problems } = await open();
  await assert.doesNotReject(page.getByRole("heading", { level: 1, name: "Ask a question about GOV.UK guidance" }).waitFor());
  const text = await page.locator("main").innerText();
  assert.match(text, /Do not enter personal details/);
  assert.match(text, /Answers can be wrong/);
  assert.match(await page.locator("#composer-notice").innerText(), /\S/);
  assert.match(await page.locator(".govuk-phase-banner").innerText(), /This is a new service/);
  const inline = await page.evaluate(() => ({
    scripts: [...document.scripts].filter((s) => !s.src || s.textContent.trim()).length,
    styles: document.querySelectorAll("style, [style]").length,
  }));
  // GOV.UK Frontend's character count sets no style attributes; nothing else may.
  assert.deepEqual(inline, { scripts: 0, styles: 0 });
  assert.deepEqual(problems, []);
  await page.close();
});

test("an empty question shows the error summary", { timeout }, async () => {
  const { page, problems } = await open();
  await page.getByRole("button", { name: "Send" }).click();
  const summary = page.locator("#error-summary");
  await summary.waitFor({ state: "visible" });
  assert.match(await summary.innerText(), /Enter your question/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "error-summary");
  assert.match(await page.title(), /^Error: /);
  assert.deepEqual(problems, []);
  await page.close();
});

test("an answer streams in with sources, passes axe, and takes feedback", { timeout }, async () => {
  const { page, problems } = await open();
  await watchAnswer(page);
  await page.getByLabel("Ask a question", { exact: true }).fill(PASSPORT);
  await page.getByRole("button", { name: "Send" }).click();
  const answer = await lastAnswer(page);

  const updates = await page.evaluate(() => window.__updates);
  const streaming = new Set(updates.filter((u) => !u.done && u.text.trim()).map((u) => u.text));
  assert.ok(streaming.size >= 2, `want at least two updates of the answer before it was done; got ${streaming.size}`);
  assert.equal(await answer.getAttribute("data-status"), "answered");

  const hrefs = await answer.locator(".app-sources a").evaluateAll((links) => links.map((a) => a.href));
  assert.ok(hrefs.some((h) => h.startsWith("https://www.gov.uk/") && h.includes("/renew-adult-passport")),
    `want a source on /renew-adult-passport; got ${hrefs.join(", ")}`);
  assert.match(await answer.locator(".app-sources").innerText(), /Last updated \d{1,2} [A-Z][a-z]+ \d{4}/);
  // Focus goes to the answer's heading once it is finished.
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Answer");
  // The live region got sentences, not every fragment.
  const announced = await page.locator("#announcer p").count();
  assert.ok(announced >= 1 && announced <= 4, `live region has ${announced} entries`);

  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"] } }));
  const violations = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(" ")})`);
  assert.deepEqual(violations, []);

  mkdirSync(out, { recursive: true });
  await page.screenshot({ path: path.join(out, "answered.png"), fullPage: true });

  await answer.getByRole("button", { name: "Yes" }).click();
  await answer.getByText("Thank you for your feedback").waitFor({ timeout: 15_000 });
  await answer.getByLabel("Tell us more about this answer (optional)").waitFor();
  assert.deepEqual(problems, []);
  await page.close();
});

test("a question with a National Insurance number is refused", { timeout }, async () => {
  const { page, problems } = await open();
  await page.getByLabel("Ask a question", { exact: true }).fill(PII);
  await page.getByRole("button", { name: "Send" }).click();
  const answer = await lastAnswer(page);
  assert.equal(await answer.getAttribute("data-status"), "refused_pii");
  const refusal = answer.locator(".app-refusal");
  assert.match(await refusal.innerText(), /personal details/);
  // The personal details are not kept on screen, but are given back to edit.
  assert.doesNotMatch(await page.locator("#conversation").innerText(), /QQ 12 34 56 C/);
  assert.equal(await page.locator("#question").inputValue(), PII);
  assert.equal(await answer.getByRole("button", { name: "Yes" }).count(), 0);
  assert.deepEqual(problems, []);
  await page.close();
});

test("the page works with the keyboard only", { timeout }, async () => {
  const { page, problems } = await open();
  await page.locator("body").focus();
  let focused = "";
  for (let i = 0; i < 30 && focused !== "question"; i++) {
    await page.keyboard.press("Tab");
    focused = await page.evaluate(() => document.activeElement.id);
  }
  assert.equal(focused, "question", "Tab never reached the question box");
  await page.keyboard.type("How much does it cost to renew a passport?");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "send");
  const focusStyle = await page.evaluate(() => getComputedStyle(document.activeElement).backgroundColor);
  assert.equal(focusStyle, "rgb(255, 221, 0)", "the focused Send button has GOV.UK's yellow focus colour");
  await page.keyboard.press("Space");
  const answer = await lastAnswer(page);
  assert.notEqual(await answer.getAttribute("data-status"), "error");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Answer");
  // From the answer, the keyboard reaches the feedback buttons.
  focused = "";
  for (let i = 0; i < 30 && focused !== "Yes"; i++) {
    await page.keyboard.press("Tab");
    focused = await page.evaluate(() => document.activeElement.textContent);
  }
  if ((await answer.getAttribute("data-status")) === "answered") assert.equal(focused, "Yes");
  assert.deepEqual(problems, []);
  await page.close();
});
