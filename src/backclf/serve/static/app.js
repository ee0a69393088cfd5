// backclf's page: the interview in a browser.
//
// The page keeps the case (the person's words and answers) in memory and sends all of it to
// POST /assess after every answer; the server stores nothing. It shows only what the API
// answers: the triage, red flags, cause, differential, advice and the next question are all
// decided there. Text from the API is set with textContent, never parsed as HTML.
"use strict";

// The words for each triage level (the command line's banner, in plain case).
const LEVEL_WORDS = {
  emergency_ambulance: "Call an ambulance now",
  emergency: "Go to an emergency department now",
  consultation_24: "See a doctor within 24 hours",
  consultation: "Book a doctor's appointment",
  self_care: "Self-care: manage it at home, and see a doctor if it gets worse",
};

// Levels at which the banner is shown before the safety questions are answered ("at least"):
// below them, a level would only reassure, so nothing is shown until the screen is done.
const URGENT_LEVELS = ["consultation_24", "emergency", "emergency_ambulance"];
// At these levels the likely cause is not the headline: getting care is.
const GO_NOW = ["emergency", "emergency_ambulance"];

const state = {
  text: null,        // the person's own words, or null
  turns: [],         // [{question, answers: {finding: value}}], in the order answered
  question: null,    // the question on screen
  labels: {},        // finding -> the words a checklist showed for it
  sequence: 0,       // the latest request: older answers arriving late are dropped
};

const $ = (id) => document.getElementById(id);

function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.text !== undefined) node.textContent = String(options.text);
  if (options.className) node.className = options.className;
  for (const [name, value] of Object.entries(options.attrs || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

function clear(node) {
  node.replaceChildren();
  return node;
}

// ---- talking to the server --------------------------------------------------------------

function currentCase(draft = {}) {
  const found = {};
  if (state.text) found.text = state.text;
  for (const turn of state.turns) Object.assign(found, turn.answers);
  return Object.assign(found, draft);
}

async function assess(found) {
  const response = await fetch("/assess", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(found),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new Error(`backclf answered with status ${response.status} and no assessment.`);
  }
  return body;
}

function showProblem(message) {
  $("problem").textContent = message || "";
}

async function checkTextReader() {
  try {
    const health = await (await fetch("/health")).json();
    if (health.text === false) {
      const story = $("story");
      story.disabled = true;
      story.value = "";
      const note = $("story-note");
      note.textContent =
        "This server cannot read your own words (its free-text reader is not installed). " +
        "Press Start and answer the questions instead.";
      note.hidden = false;
    }
  } catch {
    showProblem("backclf cannot be reached. Check that the server is running, then reload.");
  }
}

// ---- rendering an assessment ------------------------------------------------------------

// A probability as the command line prints it (Python's "{:.0%}": the product rounded half
// to even), so the page and `backclf predict` show the same figure.
function percent(probability) {
  const scaled = probability * 100;
  const nearest = Math.round(scaled);
  return `${nearest - scaled === 0.5 && nearest % 2 !== 0 ? nearest - 1 : nearest}%`;
}

function findingWords(finding) {
  return state.labels[finding] || finding.replaceAll("_", " ");
}

function valueWords(value) {
  if (value === true) return "yes";
  if (value === false) return "no";
  if (value === null) return "not known";
  return String(value).replaceAll("_", " ");
}

// Whether the safety questions are answered (or the level already says to go now).
function screened(assessment) {
  return assessment.triage.screened !== false;
}

function renderBanner(assessment) {
  const banner = $("banner");
  const level = assessment.triage.level;
  const done = screened(assessment);
  $("unscreened").hidden = done || URGENT_LEVELS.includes(level);
  if (!done && !URGENT_LEVELS.includes(level)) {
    banner.hidden = true;  // no reassuring level until the screen is answered
    delete banner.dataset.level;
    return;
  }
  banner.className = `banner level-${level}`;
  banner.dataset.level = level;
  banner.setAttribute("role", level.startsWith("emergency") ? "alert" : "status");
  const words = LEVEL_WORDS[level] || level;
  $("banner-words").textContent = assessment.triage.overridden
    ? `${words} (because of a warning sign)` : words;
  const urgent = clear($("urgent"));
  for (const message of assessment.advice.urgent) urgent.append(el("li", { text: message }));
  $("banner-unscreened").hidden = done;
  const tell = clear($("also-tell-list"));
  for (const message of assessment.advice.also_tell || []) tell.append(el("li", { text: message }));
  $("also-tell").hidden = tell.childElementCount === 0;
  banner.hidden = false;
}

function renderCause(assessment) {
  // At an emergency the likely cause is not the headline: getting care is.
  $("cause-section").hidden = GO_NOW.includes(assessment.triage.level);
  const cause = $("cause");
  cause.textContent = assessment.cause
    ? `${assessment.cause.name} (${percent(assessment.cause.probability)})`
    : assessment.unusual
      ? "Your answers do not fit any of the causes the article describes well."
      : "backclf cannot tell the likely cause from these answers.";
  const bars = clear($("differential"));
  for (const item of assessment.differential) {
    const fill = el("span", { className: "bar-fill" });
    fill.style.width = percent(item.probability);
    bars.append(el("li", { attrs: { "data-cause": item.id, "data-probability": item.probability } }, [
      el("span", { className: "bar-name", text: item.name }),
      el("span", { className: "bar-track", attrs: { "aria-hidden": "true" } }, [fill]),
      el("span", { className: "bar-value", text: percent(item.probability) }),
    ]));
  }
}

function renderUnderstood(assessment) {
  const found = assessment.extracted || [];
  $("understood").hidden = found.length === 0;
  const list = clear($("understood-list"));
  for (const item of found) {
    const words = `${findingWords(item.finding)}: ${valueWords(item.value)}` +
      (item.uncertain ? " (not sure)" : "");
    list.append(el("li", { attrs: { "data-finding": item.finding } }, [
      el("q", { text: item.span }), " → ", el("span", { text: words }),
    ]));
  }
}

function adviceBlock(title, advice, medication) {
  const block = el("div", { className: "advice-block" }, [el("h3", { text: title })]);
  if (advice) block.append(el("p", { className: "advice-text", text: advice }));
  if (medication) {
    block.append(el("p", { className: "medication" }, [
      el("strong", { text: "Medicines the article names: " }), medication,
    ]));
  }
  return block;
}

function renderAdvice(assessment) {
  const advice = assessment.advice;
  const forCause = clear($("advice-cause"));
  if (assessment.cause && (advice.cause || advice.medication)) {
    forCause.append(adviceBlock(`For ${assessment.cause.name.toLowerCase()}`,
      advice.cause, advice.medication));
  }
  const withheld = clear($("withheld"));
  for (const item of advice.withheld) {
    withheld.append(el("li", { attrs: { "data-withheld": item.id } }, [
      el("strong", { text: "Not shown here: " }), item.reason,
    ]));
  }
  const notes = clear($("advice-notes"));
  for (const note of advice.notes) {
    notes.append(el("div", { className: "note-block", attrs: { "data-note": note.id } }, [
      el("p", { text: note.text }),
      el("p", { className: "source", text: `Source: ${note.source}` }),
    ]));
  }
  const others = clear($("also-consider-list"));
  for (const other of advice.also_consider) {
    others.append(adviceBlock(other.name, other.advice, other.medication));
  }
  $("also-consider").hidden = advice.also_consider.length === 0;
  const general = clear($("general"));
  for (const line of advice.general) general.append(el("li", { text: line }));
  $("disclaimer-text").textContent = advice.disclaimer;
}

function render(assessment) {
  for (const question of assessment.next_questions) rememberLabels(question);
  renderBanner(assessment);
  renderUnderstood(assessment);
  // Advice waits for the safety questions unless the level is already urgent.
  const shown = screened(assessment) || URGENT_LEVELS.includes(assessment.triage.level);
  if (shown) {
    renderCause(assessment);
    renderAdvice(assessment);
  }
  $("result").hidden = !shown;
}

function rememberLabels(question) {
  if (question.kind !== "checklist") return;
  question.findings.forEach((finding, i) => { state.labels[finding] = question.items[i]; });
}

// ---- the question on screen -------------------------------------------------------------

function optionsFor(question, finding) {
  return (question.item_options && question.item_options[finding]) || question.options;
}

function radioGroup(name, options, chosen, hasChosen) {
  const group = el("div", { className: "options" });
  options.forEach((option, i) => {
    const id = `${name}-${i}`;
    const input = el("input", { attrs: { type: "radio", name, id, value: String(i) } });
    if (hasChosen && option.value === chosen) input.checked = true;
    group.append(el("label", { className: "option", attrs: { for: id } }, [input, option.label]));
  });
  return group;
}

function showQuestion(question, previous = {}) {
  state.question = question;
  $("question-problem").textContent = "";
  $("back").hidden = state.turns.length === 0;
  if (!question) {
    $("question").hidden = true;
    $("done").hidden = false;
    $("done-title").focus();
    return;
  }
  $("done").hidden = true;
  $("question").hidden = false;
  $("question-text").textContent = question.question;
  $("question-why").textContent = question.why;
  const body = clear($("question-body"));
  if (question.finding) body.dataset.finding = question.finding;
  else delete body.dataset.finding;
  if (question.kind === "checklist") {
    body.className = "checklist";
    const rows = question.findings.map((finding, i) => {
      const name = `item-${i}`;
      const legendId = `${name}-text`;
      return el("fieldset", { className: "item", attrs: { "data-finding": finding } }, [
        el("legend", { text: question.items[i], attrs: { id: legendId } }),
        radioGroup(name, optionsFor(question, finding), previous[finding], finding in previous),
      ]);
    });
    const groups = question.groups || [{ title: "", findings: question.findings }];
    groups.forEach((group, g) => {
      const members = group.findings.map((finding) => question.findings.indexOf(finding));
      const block = el("div", { className: "item-group", attrs: { "data-group": String(g) } });
      if (group.title) block.append(el("h3", { text: group.title }));
      if (members.length > 1) {
        const none = el("button", {
          text: "No to all of these", className: "secondary none-of-these",
          attrs: { type: "button", "aria-label": `No to all of these: ${group.title}` },
        });
        none.addEventListener("click", () => answerNo(question, members));
        block.append(none);
      }
      for (const i of members) block.append(rows[i]);
      body.append(block);
    });
  } else if (question.kind === "number") {
    body.className = "number";
    const known = question.finding in previous && previous[question.finding] !== null;
    const input = el("input", {
      attrs: { type: "number", id: "number", inputmode: "decimal",
        min: String(question.minimum), max: String(question.maximum) },
    });
    if (known) input.value = String(previous[question.finding]);
    body.append(
      el("label", { attrs: { for: "number" },
        text: `A number from ${question.minimum} to ${question.maximum}` }),
      input,
      radioGroup("answer", question.options,
        previous[question.finding], question.finding in previous && !known),
    );
    input.addEventListener("input", () => {
      for (const radio of body.querySelectorAll("input[type=radio]")) radio.checked = false;
    });
  } else {
    body.className = "choice";
    body.append(radioGroup("answer", question.options,
      previous[question.finding], question.finding in previous));
  }
  $("question-text").focus();
}

// "No" to every line of a group: the option whose value is false (or "none").
function answerNo(question, members) {
  for (const i of members) {
    const options = optionsFor(question, question.findings[i]);
    const no = options.findIndex((option) => option.value === false || option.value === "none");
    const radio = document.querySelector(`input[name="item-${i}"][value="${no}"]`);
    if (radio) radio.checked = true;
  }
  preview();
}

function chosen(name, options) {
  const picked = document.querySelector(`input[name="${name}"]:checked`);
  return picked ? { value: options[Number(picked.value)].value } : null;
}

// The answers on screen so far, and the first control still to answer.
function readDraft() {
  const question = state.question;
  const answers = {};
  let missing = null;
  if (question.kind === "checklist") {
    question.findings.forEach((finding, i) => {
      const pick = chosen(`item-${i}`, optionsFor(question, finding));
      if (pick) answers[finding] = pick.value;
      else if (!missing) missing = document.querySelector(`input[name="item-${i}"]`);
    });
  } else if (question.kind === "number") {
    const input = $("number");
    const pick = chosen("answer", question.options);
    if (pick) answers[question.finding] = pick.value;
    else if (input.value.trim() !== "" && Number.isFinite(input.valueAsNumber)) {
      answers[question.finding] = input.valueAsNumber;
    } else missing = input;
  } else {
    const pick = chosen("answer", question.options);
    if (pick) answers[question.finding] = pick.value;
    else missing = document.querySelector('input[name="answer"]');
  }
  return { answers, missing };
}

// Every change shows at once what the answers so far mean (a red flag appears at once),
// without moving on from the question.
async function preview() {
  const sequence = ++state.sequence;
  const { answers } = readDraft();
  try {
    const assessment = await assess(currentCase(answers));
    if (sequence === state.sequence && !("error" in assessment)) render(assessment);
  } catch {
    // the answer is checked again when the person presses Next
  }
}

async function next(event) {
  event.preventDefault();
  const { answers, missing } = readDraft();
  const problem = $("question-problem");
  if (missing) {
    problem.textContent = state.question.kind === "checklist"
      ? "Please answer every line (\"Don't know\" is an answer)."
      : "Please choose an answer (\"Don't know\" is an answer).";
    missing.focus();
    return;
  }
  const sequence = ++state.sequence;
  try {
    const assessment = await assess(currentCase(answers));
    if (sequence !== state.sequence) return;
    if ("error" in assessment) {
      problem.textContent = assessment.error;
      return;
    }
    state.turns.push({ question: state.question, answers });
    render(assessment);
    renderAnswers();
    showQuestion(assessment.next_questions[0]);
  } catch (error) {
    problem.textContent = `backclf cannot be reached: ${error.message}`;
  }
}

// Back to turn `index`: the answers from there on are dropped, and the API asks again.
async function revisit(index) {
  const previous = state.turns[index].answers;
  state.turns = state.turns.slice(0, index);
  await refresh(previous);
}

async function refresh(previous = {}) {
  const sequence = ++state.sequence;
  try {
    const assessment = await assess(currentCase());
    if (sequence !== state.sequence) return;
    if ("error" in assessment) {
      showProblem(assessment.error);
      return;
    }
    showProblem("");
    render(assessment);
    renderAnswers();
    showQuestion(assessment.next_questions[0], previous);
  } catch (error) {
    showProblem(`backclf cannot be reached: ${error.message}`);
  }
}

// A checklist's answers grouped by the option chosen; the largest group is only counted.
function answerWords(turn) {
  const question = turn.question;
  if (question.kind !== "checklist") {
    const value = turn.answers[question.finding];
    const option = question.options.find((o) => o.value === value);
    return option ? option.label : String(value);
  }
  const groups = new Map();
  question.findings.forEach((finding, i) => {
    const label = optionsFor(question, finding)
      .find((option) => option.value === turn.answers[finding]).label;
    if (!groups.has(label)) groups.set(label, []);
    groups.get(label).push(question.items[i]);
  });
  const largest = [...groups.keys()].reduce((a, b) => groups.get(b).length > groups.get(a).length ? b : a);
  if (groups.size === 1) return `${largest} to all ${question.findings.length}`;
  return [...groups].map(([label, items]) => label === largest
    ? `${label} to the other ${items.length}`
    : `${label}: ${items.join("; ")}`).join(". ");
}

function renderAnswers() {
  const list = clear($("answer-list"));
  state.turns.forEach((turn, index) => {
    const change = el("button", {
      text: "Change", className: "link",
      attrs: { type: "button", "aria-label": `Change your answer to: ${turn.question.question}` },
    });
    change.addEventListener("click", () => revisit(index));
    list.append(el("li", {}, [
      el("span", { className: "answer-question", text: turn.question.question }), " ",
      el("span", { className: "answer-given", text: answerWords(turn) }), " ", change,
    ]));
  });
  $("answers").hidden = state.turns.length === 0;
}

// ---- start and start again --------------------------------------------------------------

async function start(event) {
  event.preventDefault();
  const story = $("story");
  state.text = story.disabled ? null : story.value.trim() || null;
  state.turns = [];
  $("start").hidden = true;
  $("restart").hidden = false;
  await refresh();
}

function restart() {
  state.text = null;
  state.turns = [];
  state.question = null;
  state.sequence++;
  for (const id of ["banner", "unscreened", "understood", "question", "done", "result", "answers",
    "restart"]) {
    $(id).hidden = true;
  }
  showProblem("");
  $("start").hidden = false;
  $("story").value = "";
  $("story").focus();
}

document.addEventListener("DOMContentLoaded", () => {
  $("start-form").addEventListener("submit", start);
  $("question-form").addEventListener("submit", next);
  $("question-form").addEventListener("change", preview);
  $("back").addEventListener("click", () => revisit(state.turns.length - 1));
  $("restart").addEventListener("click", restart);
  checkTextReader();
});
