// The operator console's only script: confirmations before destructive
// actions, and an opt-in live refresh (every 3 s, remembered per browser).
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("live-refresh");
  if (!box) return;
  box.checked = window.localStorage.getItem("esx-live") === "1";
  let timer = null;
  const arm = () => {
    clearTimeout(timer);
    if (box.checked) timer = setTimeout(() => window.location.reload(), 3000);
  };
  box.addEventListener("change", () => {
    window.localStorage.setItem("esx-live", box.checked ? "1" : "0");
    arm();
  });
  arm();
});
