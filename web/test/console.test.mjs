// Browser tests of the operators' console and the accessibility statement
// against a running `govchat serve` (scripts/test-browser.sh starts one with
// GOVCHAT_ADMIN_TOKEN set and passes the same environment as chat.test.mjs,
// plus GOVCHAT_ADMIN_TOKEN). The console needs no JavaScript; every page is
// checked with axe.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const base = process.env.GOVCHAT_URL;
const token = process.env.GOVCHAT_ADMIN_TOKEN;
const out = process.env.GOVCHAT_OUT || "out/browser";
const timeout = 120_000;
const QUESTION = "How much does it cost to renew an adult passport?";

let browser;
let context;

before(async () => {
  assert.ok(base && token, "GOVCHAT_URL and GOVCHAT_ADMIN_TOKEN are not set: run scripts/test-browser.sh");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
});

after(async () => {
  await context?.close();
  await browser?.close();
});

// checkAxe fails on any WCAG 2.2 A or AA violation on the page as shown.
async function checkAxe(page, what) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"] } }));
  const violations = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(" ")})`);
  assert.deepEqual(violations, [], `axe on ${what}`);
}

// watch collects the page's errors, including Content-Security-Policy
// violations, and failed assets.
function watch(page) {
  const problems = [];
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    // The wrong token (403) and the bad filter (400) are meant to fail;
    // failed responses are checked below, for assets only.
    if (msg.type() === "error" && !msg.text().startsWith("Failed to load resource")) problems.push(`console: ${msg.text()}`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400 && res.url().includes("/assets/")) problems.push(`${res.status()} ${res.url()}`);
  });
  return problems;
}

test("the accessibility statement passes axe and is linked from the chat page", { timeout }, async () => {
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${base}/`);
  await page.getByRole("link", { name: "Accessibility statement" }).click();
  await page.getByRole("heading", { level: 1, name: /Accessibility statement/ }).waitFor();
  await checkAxe(page, "the accessibility statement");
  assert.deepEqual(problems, []);
  await page.close();
});

test("an operator signs in, reviews a conversation, searches and signs out", { timeout }, async () => {
  // A conversation to review, asked through the page's form.
  const asked = await context.request.post(`${base}/ask`, { form: { question: QUESTION } });
  assert.equal(asked.status(), 200);

  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${base}/admin/conversations`);
  assert.match(page.url(), /\/admin\/sign-in\?next=/);
  await checkAxe(page, "the sign-in page");

  await page.getByLabel("Admin token").fill("not-the-token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("The admin token is not right").first().waitFor();
  await checkAxe(page, "the sign-in page with an error");

  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { level: 1, name: "Conversations" }).waitFor();
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "govchat_admin");
  assert.ok(session && session.httpOnly && session.sameSite === "Strict", "the session cookie is HttpOnly and SameSite=Strict");
  await checkAxe(page, "the conversations page");

  await page.getByLabel("Router label").selectOption("genuine_rag");
  await page.getByLabel("Words in the question or answer").fill("adult passport");
  await page.getByRole("button", { name: "Apply filters" }).click();
  const row = page.getByRole("row").filter({ hasText: QUESTION }).first();
  await row.waitFor();
  await row.getByRole("link").click();
  await page.getByRole("heading", { level: 1, name: /Conversation/ }).waitFor();
  await page.getByText("Retrieved passages").first().waitFor();
  await page.getByText("genuine_rag").first().waitFor();
  await checkAxe(page, "a conversation");
  mkdirSync(out, { recursive: true });
  await page.screenshot({ path: path.join(out, "console-conversation.png"), fullPage: true });

  await page.getByRole("link", { name: "What the bot would see" }).click();
  await page.getByLabel("Question").fill(QUESTION);
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText(/^Passed/).waitFor();
  await checkAxe(page, "what the bot would see");

  await page.getByRole("link", { name: "Feedback", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Feedback" }).waitFor();
  await checkAxe(page, "the feedback page");

  await page.goto(`${base}/admin/conversations?from=yesterday`);
  await page.getByText("Enter the date as year-month-day").first().waitFor();
  await checkAxe(page, "the conversations page with a filter error");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { level: 1, name: /Sign in/ }).waitFor();
  assert.ok(!(await context.cookies()).some((c) => c.name === "govchat_admin"), "signing out removes the session cookie");
  assert.deepEqual(problems, []);
  await page.close();
});
