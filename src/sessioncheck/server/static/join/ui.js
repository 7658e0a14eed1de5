// The page: the catalogue's wording (sessioncheck.advice.catalogue, "browser.*", filled into
// join.html by the server), the progress list and the verdict box.

const PHRASES = window.SESSIONCHECK_PHRASES || {};

export const $ = (id) => document.getElementById(id);

export function phrase(key, values) {
  let text = PHRASES[key] || key;
  for (const [k, v] of Object.entries(values || {})) text = text.split("{" + k + "}").join(String(v));
  return text;
}

export function step(text, problem) {
  const list = $("progress");
  for (const li of list.querySelectorAll("li.current")) li.classList.remove("current");
  const li = document.createElement("li");
  li.textContent = text;
  li.className = problem ? "problem current" : "current";
  list.appendChild(li);
  console.log("sessioncheck: " + text);
}

export function showVerdict(text, problem) {
  const box = $("verdict");
  box.textContent = text;
  box.className = problem ? "problem" : "";
  console.log("sessioncheck: verdict:\n" + text);
}

// the form's wording; `start(code, token)` runs when it is sent (or at once with auto=1)
export function setUpForm(start) {
  document.title = phrase("browser.title");
  $("title").textContent = phrase("browser.title");
  $("intro").textContent = phrase("browser.intro");
  $("code-label").textContent = phrase("browser.code_label");
  $("start").textContent = phrase("browser.start");
  const params = new URLSearchParams(location.search);
  $("code").value = params.get("code") || "";
  $("form").addEventListener("submit", (ev) => { ev.preventDefault(); start($("code").value, params.get("token")); });
  if (params.get("code") && params.get("auto") === "1") start(params.get("code"), params.get("token"));
}

export function setBusy(busy) {
  $("start").disabled = busy;
  $("code").disabled = busy;
}
