// The chat page's script. It takes over the page's form and streams answers
// over the server's websocket (/ws, docs/protocol.md). Without it, or until
// the websocket has said hello, the form posts to /ask and the server
// renders the answer.
//
// Server text is only ever put in the page with textContent: the answer's
// small markdown subset is turned into elements here, never into HTML.

const GOVUK = "https://www.gov.uk";
const CONVERSATION_KEY = "govchat.conversation";
const TURNS_KEY = "govchat.turns";
const MAX_STORED_TURNS = 20;

const $ = (id) => document.getElementById(id);
const page = {
  form: $("ask-form"),
  question: $("question"),
  label: document.querySelector('label[for="question"]'),
  group: $("question-group"),
  send: $("send"),
  stop: $("stop"),
  errorSummary: $("error-summary"),
  errorLink: $("error-summary-link"),
  errorMessage: $("question-error"),
  errorText: $("question-error-text"),
  banner: $("status-banner"),
  bannerTitle: $("status-banner-title"),
  bannerText: $("status-banner-text"),
  section: $("conversation-section"),
  list: $("conversation"),
  notice: $("composer-notice"),
  announcer: $("announcer"),
  newConversation: $("new-conversation"),
  deleteConversation: $("delete-conversation"),
  conversationInput: $("conversation-id"),
};
const pageTitle = document.title.replace(/^Error: /, "");

// ---- Elements -------------------------------------------------------------

// el makes an element; strings among the children become text nodes.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children);
  return node;
}

// ---- The answer renderer (the same subset as render.go) -----------------

const BULLET = /^\s*[-*•]\s+/;
const NUMBER = /^\s*\d{1,2}[.)]\s+/;
const HEADING = /^\s*#{1,6}\s+/;
const INLINE = /\*\*(.+?)\*\*|\[(\d{1,2})\]|(https:\/\/www\.gov\.uk\/[^\s<>"')\]]*)/g;

// sourceHref turns a source's path into a GOV.UK address, or "" for
// anything that is not a plain path.
function sourceHref(path) {
  if (typeof path !== "string" || !path.startsWith("/") || path.startsWith("//") || /[\\\s]/.test(path)) {
    return "";
  }
  return GOVUK + path;
}

function renderInline(parent, text, sources) {
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    parent.append(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1] !== undefined) {
      parent.append(el("strong", { text: m[1] }));
    } else if (m[2] !== undefined) {
      const n = Number(m[2]);
      const source = sources.get(n);
      const href = source ? sourceHref(source.url) : "";
      if (!href) {
        parent.append(m[0]);
        continue;
      }
      parent.append(
        el("a", { class: "govuk-link app-cite", href }, `[${n}]`,
          el("span", { class: "govuk-visually-hidden", text: ` Source ${n}: ${source.title || ""}` })),
      );
    } else {
      const url = m[3].replace(/[.,;:]+$/, "");
      parent.append(el("a", { class: "govuk-link", href: url, text: url }), m[3].slice(url.length));
    }
  }
  parent.append(text.slice(last));
}

// renderAnswer turns answer text into paragraphs and lists.
function renderAnswer(text, sources) {
  const out = document.createDocumentFragment();
  let para = [];
  let list = null;
  const flushPara = () => {
    if (para.length) {
      const p = el("p", { class: "govuk-body" });
      renderInline(p, para.join(" "), sources);
      out.append(p);
      para = [];
    }
  };
  const flushList = () => {
    if (list) out.append(list.node);
    list = null;
  };
  for (const line of text.replace(/\r\n/g, "\n").split("\n")) {
    const ordered = NUMBER.test(line);
    if (line.trim() === "") {
      flushPara();
      flushList();
    } else if (ordered || BULLET.test(line)) {
      flushPara();
      if (!list || list.ordered !== ordered) {
        flushList();
        list = {
          ordered,
          node: el(ordered ? "ol" : "ul", { class: ordered ? "govuk-list govuk-list--number" : "govuk-list govuk-list--bullet" }),
        };
      }
      const li = el("li");
      renderInline(li, line.replace(ordered ? NUMBER : BULLET, "").trim(), sources);
      list.node.append(li);
    } else {
      flushList();
      para.push(line.trim().replace(HEADING, ""));
    }
  }
  flushPara();
  flushList();
  return out;
}

// speech is answer text as it should be read out: no markup or citations.
function speech(text) {
  return text.replace(/\*\*/g, "").replace(/\s*\[\d{1,2}\]/g, "").replace(/^\s*([-*•]|\d{1,2}[.)])\s+/gm, "");
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December"];

// longDate formats 2024-01-31 as "31 January 2024".
function longDate(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return iso || "";
  return `${Number(m[3])} ${MONTHS[Number(m[2]) - 1]} ${m[1]}`;
}

// ---- Announcements, banners and errors ----------------------------------

// announce adds text to the polite live region. Only whole sentences and
// state changes go here, never each streamed fragment.
function announce(text) {
  if (!text.trim()) return;
  page.announcer.append(el("p", { text }));
  while (page.announcer.childNodes.length > 4) page.announcer.firstChild.remove();
}

let bannerReason = "";

function showBanner(reason, text, { success = false } = {}) {
  bannerReason = reason;
  page.banner.classList.toggle("govuk-notification-banner--success", success);
  page.banner.setAttribute("role", success ? "alert" : "region");
  page.bannerTitle.textContent = success ? "Success" : "Important";
  page.bannerText.textContent = text;
  page.banner.hidden = false;
  announce(text);
}

function hideBanner(reason) {
  if (!reason || reason === bannerReason) {
    page.banner.hidden = true;
    bannerReason = "";
  }
}

function showError(text) {
  page.errorLink.textContent = text;
  page.errorText.textContent = text;
  page.errorSummary.hidden = false;
  page.errorMessage.hidden = false;
  page.group.classList.add("govuk-form-group--error");
  page.question.classList.add("govuk-textarea--error");
  describeQuestion(true);
  document.title = `Error: ${pageTitle}`;
  page.errorSummary.focus();
}

function clearError() {
  page.errorSummary.hidden = true;
  page.errorMessage.hidden = true;
  page.group.classList.remove("govuk-form-group--error");
  page.question.classList.remove("govuk-textarea--error");
  describeQuestion(false);
  document.title = pageTitle;
}

function describeQuestion(withError) {
  const ids = (page.question.getAttribute("aria-describedby") || "").split(/\s+/).filter((id) => id && id !== "question-error");
  if (withError) ids.push("question-error");
  page.question.setAttribute("aria-describedby", ids.join(" "));
}

page.errorLink.addEventListener("click", (event) => {
  event.preventDefault();
  page.question.focus();
  page.group.scrollIntoView();
});

// ---- The conversation ----------------------------------------------------

function storageGet(key) {
  try {
    return window.sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function storageSet(key, value) {
  try {
    if (value === null) window.sessionStorage.removeItem(key);
    else window.sessionStorage.setItem(key, value);
  } catch {
    // Storage can be switched off; the conversation then lasts as long as the page.
  }
}

function conversationID() {
  return storageGet(CONVERSATION_KEY) || "";
}

function setConversation(id) {
  if (!id) return;
  storageSet(CONVERSATION_KEY, id);
  page.conversationInput.value = id;
  page.deleteConversation.hidden = false;
}

function forgetConversation() {
  storageSet(CONVERSATION_KEY, null);
  storageSet(TURNS_KEY, null);
  page.conversationInput.value = "";
  page.deleteConversation.hidden = true;
}

function storedTurns() {
  try {
    const turns = JSON.parse(storageGet(TURNS_KEY) || "[]");
    return Array.isArray(turns) ? turns : [];
  } catch {
    return [];
  }
}

function storeTurn(turn) {
  const turns = storedTurns();
  turns.push(turn);
  storageSet(TURNS_KEY, JSON.stringify(turns.slice(-MAX_STORED_TURNS)));
}

function markFeedbackStored(messageID) {
  const turns = storedTurns();
  for (const t of turns) if (t.messageID === messageID) t.feedback = true;
  storageSet(TURNS_KEY, JSON.stringify(turns));
}

const STAGES = {
  checking: "Checking your question…",
  searching: "Searching GOV.UK guidance…",
  composing: "Writing an answer…",
};

// Statuses whose answer can be rated.
const RATEABLE = new Set(["answered", "fallback", "no_content", "out_of_scope", "fixed_reply", "guardrail"]);

const FALLBACK_MESSAGES = {
  busy: "Wait for the answer to your last question, then ask again.",
  rate_limited: "You have asked a lot of questions in a short time. Wait a minute, then try again.",
  service_off: "This service is not available at the moment. You can still find information by searching GOV.UK: https://www.gov.uk/search",
  cancelled: "You stopped this answer.",
  error: "Sorry, something went wrong. Try asking your question again.",
};

const PII_REMOVED = "Your question is not shown because it has personal details in it.";

let turnCount = 0;

// Turn is one question and its answer in the conversation list.
class Turn {
  constructor(question) {
    turnCount += 1;
    this.n = turnCount;
    this.text = "";
    this.spoken = 0;
    this.sources = new Map();
    this.sourceList = [];
    this.messageID = "";
    this.finished = false;

    this.question = question;
    this.questionText = el("p", { class: "govuk-body app-turn__question", text: question });
    this.questionItem = el("li", { class: "app-conversation__turn app-turn app-turn--question" },
      el("h3", { class: "govuk-heading-s app-turn__label", text: "You asked" }), this.questionText);
    this.heading = el("h3", { class: "govuk-heading-s app-turn__label", id: `answer-${this.n}`, tabindex: "-1", text: "Answer" });
    this.thinking = el("p", { class: "govuk-body app-thinking", text: "Sending your question…" });
    this.body = el("div", { class: "app-answer__body" });
    this.sourcesBox = el("div", { class: "app-answer__sources" });
    this.feedbackBox = el("div");
    this.item = el("li", { class: "app-conversation__turn app-turn app-turn--answer", "aria-labelledby": this.heading.id },
      this.heading, this.thinking, this.body, this.sourcesBox, this.feedbackBox);
    page.list.append(this.questionItem, this.item);
    page.section.hidden = false;
    page.label.textContent = "Ask another question";
  }

  reset(text) {
    this.text = "";
    this.spoken = 0;
    this.messageID = "";
    this.body.replaceChildren();
    this.sourcesBox.replaceChildren();
    this.thinking.textContent = text;
    this.thinking.hidden = false;
  }

  waiting(text) {
    if (!this.finished) {
      this.thinking.textContent = text;
      this.thinking.hidden = false;
    }
  }

  progress(stage) {
    const text = STAGES[stage];
    if (!text || this.text) return;
    this.thinking.textContent = text;
    if (stage === "searching") announce(text);
  }

  delta(text) {
    this.text += text;
    this.thinking.hidden = true;
    this.body.replaceChildren(renderAnswer(this.text, this.sources));
    this.speakSentences(false);
  }

  // speakSentences announces the sentences completed since the last call,
  // or everything left when the answer is finished.
  speakSentences(final) {
    const plain = speech(this.text);
    let end = plain.length;
    if (!final) {
      end = -1;
      for (const m of plain.matchAll(/[.!?](?=\s)/g)) end = m.index + 1;
    }
    if (end > this.spoken) {
      announce(plain.slice(this.spoken, end).trim());
      this.spoken = end;
    }
  }

  setSources(list) {
    this.sourceList = (Array.isArray(list) ? list : []).filter((s) => s && sourceHref(s.url));
    this.sources = new Map(this.sourceList.map((s) => [Number(s.index), s]));
    this.body.replaceChildren(renderAnswer(this.text, this.sources));
    if (!this.sourceList.length) return;
    const ol = el("ol", { class: "govuk-list app-sources" });
    for (const s of this.sourceList) {
      const label = s.heading && s.heading !== s.title ? `${s.title}: ${s.heading}` : s.title || s.url;
      const li = el("li", { class: "app-sources__item" },
        el("span", { class: "app-sources__index", text: `[${s.index}]` }), " ",
        el("a", { class: "govuk-link", href: sourceHref(s.url), text: label }));
      if (s.updated) {
        li.append(el("span", { class: "govuk-body-s app-sources__updated", text: `Last updated ${longDate(s.updated)}` }));
      }
      ol.append(li);
    }
    this.sourcesBox.replaceChildren(el("h4", { class: "govuk-heading-s", text: "Sources" }), ol);
  }

  // finish shows the final answer. live is false when a stored turn is
  // shown again after a reload.
  finish({ status, answer, messageID, feedback = false }, live = true) {
    this.finished = true;
    this.status = status;
    this.messageID = messageID || this.messageID;
    this.item.dataset.status = status || "";
    this.thinking.hidden = true;
    if (typeof answer === "string" && answer !== "") this.text = answer;
    if (!this.text) this.text = FALLBACK_MESSAGES[status] || FALLBACK_MESSAGES.error;
    const content = renderAnswer(this.text, this.sources);
    if (status === "refused_pii") {
      // Personal details do not stay in the conversation; they go back in
      // the question box so that they can be taken out.
      if (live && !page.question.value) {
        page.question.value = this.question;
        page.question.dispatchEvent(new Event("input"));
      }
      this.question = PII_REMOVED;
      this.questionText.textContent = PII_REMOVED;
      this.body.replaceChildren(el("div", { class: "govuk-warning-text app-refusal" },
        el("span", { class: "govuk-warning-text__icon", "aria-hidden": "true", text: "!" }),
        el("div", { class: "govuk-warning-text__text" }, el("span", { class: "govuk-visually-hidden", text: "Warning" }), content)));
    } else {
      this.body.replaceChildren(content);
    }
    if (RATEABLE.has(status) && this.messageID && !feedback) this.showFeedback();
    if (!live) return;
    this.speakSentences(true);
    if (status === "service_off") showBanner("status", this.text);
    if (status === "rate_limited") showBanner("status", this.text);
    // Move focus to the answer, unless the citizen has started typing the next question.
    if (!(document.activeElement === page.question && page.question.value)) this.heading.focus();
  }

  fail(message, code) {
    this.finish({ status: code === "rate_limited" || code === "service_off" || code === "busy" ? code : "error", answer: message || "" });
  }

  showFeedback() {
    const questionID = `feedback-question-${this.n}`;
    const yes = el("button", { type: "button", class: "govuk-button govuk-button--secondary", "aria-describedby": questionID, text: "Yes" });
    const no = el("button", { type: "button", class: "govuk-button govuk-button--secondary", "aria-describedby": questionID, text: "No" });
    const buttons = el("div", { class: "govuk-button-group" }, yes, no);
    const box = el("div", { class: "app-feedback" },
      el("p", { class: "govuk-body app-feedback__question", id: questionID, text: "Was this answer useful?" }), buttons);
    this.feedbackBox.replaceChildren(box);
    const rate = (useful) => {
      if (!send({ type: "feedback", message_id: this.messageID, useful })) {
        showBanner("feedback", "Your feedback could not be sent. Try again when the connection is back.");
        return;
      }
      this.useful = useful;
      this.feedbackStatus = el("p", { class: "govuk-body", tabindex: "-1", text: "Sending your feedback…" });
      box.replaceChildren(this.feedbackStatus);
      this.feedbackStatus.focus();
    };
    yes.addEventListener("click", () => rate(true));
    no.addEventListener("click", () => rate(false));
  }

  feedbackSaved() {
    if (!this.feedbackStatus) return;
    markFeedbackStored(this.messageID);
    const box = this.feedbackStatus.parentNode;
    if (this.commented) {
      this.feedbackStatus.textContent = "Thank you for your comment.";
      announce("Thank you for your comment.");
      return;
    }
    this.feedbackStatus.textContent = "Thank you for your feedback.";
    announce("Thank you for your feedback.");
    if (box.querySelector("textarea")) return;
    const id = `feedback-comment-${this.n}`;
    const comment = el("textarea", { class: "govuk-textarea", id, name: "comment", rows: "3", maxlength: "1000", "aria-describedby": `${id}-hint` });
    const submit = el("button", { type: "button", class: "govuk-button govuk-button--secondary", text: "Send comment" });
    const group = el("div", { class: "govuk-form-group" },
      el("label", { class: "govuk-label", for: id, text: "Tell us more about this answer (optional)" }),
      el("div", { class: "govuk-hint", id: `${id}-hint`, text: "Do not include personal details." }),
      comment, submit);
    box.append(group);
    submit.addEventListener("click", () => {
      const text = comment.value.trim();
      if (!text) {
        comment.focus();
        return;
      }
      if (!send({ type: "feedback", message_id: this.messageID, useful: this.useful, comment: text })) {
        showBanner("feedback", "Your comment could not be sent. Try again when the connection is back.");
        return;
      }
      this.commented = true;
      group.remove();
      this.feedbackStatus.textContent = "Sending your comment…";
      this.feedbackStatus.focus();
    });
  }
}

// ---- The websocket ---------------------------------------------------------

let socket = null;
let hello = null; // the last hello; null until the server has said it once
let attempts = 0;
let leaving = false;
let dormant = false; // the server closed an idle connection; reconnect on the next question
let pending = null; // { id, question, conversationID, turn }: asked, not yet done
let askCount = 0;
const turns = new Map(); // message_id -> Turn

function send(message) {
  if (!socket || socket.readyState !== WebSocket.OPEN || !hello) return false;
  socket.send(JSON.stringify(message));
  return true;
}

function connect() {
  const url = `${window.location.protocol === "https:" ? "wss:" : "ws:"}//${window.location.host}/ws`;
  try {
    socket = new WebSocket(url);
  } catch {
    reconnectLater();
    return;
  }
  const ws = socket;
  ws.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message && typeof message === "object") receive(message);
  });
  ws.addEventListener("close", (event) => {
    if (socket !== ws) return;
    socket = null;
    if (leaving) return;
    if (event.code === 1000 && event.reason === "idle" && !pending) {
      // Closed for being idle: nothing is wrong, so no banner and no retries.
      dormant = true;
      return;
    }
    if (hello) {
      showBanner("connection", "The connection was lost. Trying to reconnect…");
      if (pending) pending.turn.waiting("Waiting for the connection…");
    }
    page.stop.hidden = true;
    reconnectLater();
  });
}

// reconnectLater tries again after 1, 2, 4 … up to 30 seconds, with jitter
// so that a restarted server is not hit by every page at once.
function reconnectLater() {
  const delay = Math.min(30000, 1000 * 2 ** attempts) * (0.5 + Math.random() / 2);
  attempts += 1;
  window.setTimeout(connect, delay);
}

window.addEventListener("pagehide", () => {
  leaving = true;
});

function composerNotice(composer) {
  if (composer === "llm") return "Answers are written by an AI model using guidance published on GOV.UK.";
  if (composer === "offline") return "Answers are put together from sentences in guidance published on GOV.UK, without an AI model.";
  return "";
}

function receive(m) {
  const turn = (m.message_id && turns.get(m.message_id)) || (pending && !pending.turn.messageID ? pending.turn : null);
  switch (m.type) {
    case "hello": {
      const first = !hello;
      hello = m;
      attempts = 0;
      hideBanner("connection");
      const notice = typeof m.notice === "string" && m.notice ? m.notice : composerNotice(m.composer);
      if (notice) page.notice.textContent = notice;
      if (Number.isInteger(m.max_question_chars) && m.max_question_chars > 0) maxChars = m.max_question_chars;
      initCharacterCount();
      if (!first && !dormant) announce("Connected again.");
      dormant = false;
      if (pending) {
        pending.turn.reset("Sending your question again…");
        ask(pending);
      }
      break;
    }
    case "accepted":
      if (!pending || m.id !== pending.id) break;
      pending.turn.messageID = m.message_id;
      turns.set(m.message_id, pending.turn);
      setConversation(m.conversation_id);
      page.stop.hidden = false;
      break;
    case "progress":
      if (turn) turn.progress(m.stage);
      break;
    case "delta":
      if (turn && typeof m.text === "string") turn.delta(m.text);
      break;
    case "sources":
      if (turn) turn.setSources(m.sources);
      break;
    case "done":
      if (!turn) break;
      turn.finish({ status: m.status, answer: m.answer, messageID: m.message_id });
      storeTurn({ question: turn.question, status: m.status, answer: turn.text,
        sources: turn.sourceList, messageID: turn.messageID });
      if (pending && pending.turn === turn) pending = null;
      page.stop.hidden = true;
      break;
    case "feedback_saved":
      if (turn) turn.feedbackSaved();
      break;
    case "error":
      if (m.code === "rate_limited" || m.code === "service_off") showBanner("status", m.message || FALLBACK_MESSAGES[m.code]);
      if (pending && (m.id === pending.id || (!m.id && !pending.turn.messageID))) {
        pending.turn.fail(m.message, m.code);
        if (m.code === "too_large") {
          // Nothing is lost: the question goes back in the box to shorten.
          page.question.value = pending.question;
          page.question.dispatchEvent(new Event("input"));
          showError(`Your question must be ${maxChars} characters or fewer`);
        }
        pending = null;
        page.stop.hidden = true;
      } else if (!m.id && m.message && m.code !== "rate_limited" && m.code !== "service_off") {
        showBanner("error", m.message);
      }
      break;
    default:
  }
}

function ask(p) {
  const message = { type: "ask", id: p.id, question: p.question };
  const conversation = conversationID();
  if (conversation) message.conversation_id = conversation;
  if (send(message)) return;
  p.turn.waiting("Waiting for the connection…");
  if (dormant && !socket) connect();
}

// ---- The form --------------------------------------------------------------

let maxChars = Number(page.group.dataset.maxlength) || 300;

page.form.addEventListener("submit", (event) => {
  // Until the websocket has said hello, the server answers the form itself.
  if (!hello) return;
  event.preventDefault();
  const question = page.question.value.trim();
  if (!question) {
    showError("Enter your question");
    return;
  }
  // An over-long question is still sent: the server refuses it, but
  // signposts urgent help first if it carries crisis wording.
  if (pending) {
    showError("Wait for the answer to your last question before you ask another");
    return;
  }
  clearError();
  hideBanner("feedback");
  hideBanner("error");
  askCount += 1;
  pending = { id: `q${Date.now().toString(36)}-${askCount}`, question, turn: new Turn(question) };
  page.question.value = "";
  page.question.dispatchEvent(new Event("input"));
  ask(pending);
});

page.stop.addEventListener("click", () => {
  if (pending && pending.turn.messageID) send({ type: "cancel", message_id: pending.turn.messageID });
  page.question.focus();
});

page.newConversation.addEventListener("click", () => {
  forgetConversation();
});

page.deleteConversation.addEventListener("click", async () => {
  const id = conversationID();
  if (!id) return;
  try {
    const response = await fetch(`/api/conversations/${encodeURIComponent(id)}`, { method: "DELETE" });
    if (!response.ok && response.status !== 404) throw new Error(`status ${response.status}`);
  } catch {
    showBanner("delete", "Your conversation could not be deleted. Try again in a few minutes.");
    return;
  }
  forgetConversation();
  pending = null;
  page.list.replaceChildren();
  page.label.textContent = "Ask a question";
  page.section.hidden = true;
  showBanner("delete", "Your conversation has been deleted.", { success: true });
  page.banner.setAttribute("tabindex", "-1");
  page.banner.focus();
});

// ---- GOV.UK Frontend ---------------------------------------------------------

let govuk = null;
let counted = false;

// initCharacterCount starts GOV.UK Frontend's character count once both it
// and the server's limit are known.
function initCharacterCount() {
  if (counted || !govuk || !hello) return;
  counted = true;
  page.group.dataset.maxlength = String(maxChars);
  const info = $("question-info");
  if (info) info.textContent = `You can enter up to ${maxChars} characters`;
  try {
    new govuk.CharacterCount(page.group);
  } catch {
    // The static hint still tells people the limit.
  }
}

document.body.classList.add("js-enabled");
if (document.querySelector('link[href="/assets/govuk/app.css"]')) {
  document.body.classList.add("govuk-frontend-supported");
  import("/assets/govuk/govuk-frontend.min.js").then((module) => {
    govuk = module;
    const skip = document.querySelector('[data-module="govuk-skip-link"]');
    if (skip) new govuk.SkipLink(skip);
    initCharacterCount();
  }).catch(() => {});
}

// ---- Start -------------------------------------------------------------------

if (page.list.children.length) {
  // The server answered the form: that answer belongs to the conversation
  // in the hidden field.
  storageSet(TURNS_KEY, null);
  if (page.conversationInput.value) setConversation(page.conversationInput.value);
} else {
  const stored = storedTurns();
  for (const t of stored) {
    const turn = new Turn(String(t.question || ""));
    turn.setSources(t.sources);
    turn.finish({ status: t.status, answer: String(t.answer || ""), messageID: t.messageID, feedback: t.feedback }, false);
    if (t.messageID) turns.set(t.messageID, turn);
  }
  if (conversationID()) setConversation(conversationID());
}
if (!page.errorSummary.hidden) page.errorSummary.focus();
connect();
