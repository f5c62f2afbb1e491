// The mix logic that the k6 script and the Artillery processor share (CommonJS, which
// both node and k6 `require`): picking a scenario by weight, filling a step's
// placeholders, naming a step. The mix itself is mix.json.

'use strict';

function pickScenario(mix) {
  const total = mix.scenarios.reduce((sum, s) => sum + s.weight, 0);
  let roll = Math.random() * total;
  for (const s of mix.scenarios) {
    roll -= s.weight;
    if (roll < 0) return s;
  }
  return mix.scenarios[mix.scenarios.length - 1];
}

function uuid() {
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = Math.floor(Math.random() * 16);
    return (c === 'x' ? r : (r & 0x3) | 0x8).toString(16);
  });
}

// Fills {email}, {password}, {searchTerm} and {uuid} in a string or a JSON body.
function fill(mix, value, email) {
  if (typeof value === 'string') {
    return value
      .replace('{email}', email)
      .replace('{password}', mix.users.password)
      .replace('{searchTerm}', mix.searchTerms[Math.floor(Math.random() * mix.searchTerms.length)])
      .replace('{uuid}', uuid());
  }
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = fill(mix, v, email);
    return out;
  }
  return value;
}

function stepName(step) {
  return step.name || `${step.method} ${step.path.split('?')[0]}`;
}

// The seeded account of virtual user n (1-based), as mix.json's users.email names it.
function emailOf(mix, n) {
  return mix.users.email.replace('{n}', String(n));
}

// The step that logs in (its answer's token becomes the user's).
function loginStep(mix) {
  return mix.scenarios.flatMap((s) => s.steps).find((step) => step.captureToken);
}

module.exports = { pickScenario, fill, stepName, emailOf, loginStep };
