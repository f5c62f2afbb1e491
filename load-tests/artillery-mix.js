// Artillery processor for load-tests/artillery-config.yml: runs the scenarios of
// load-tests/mix.json (the definition the k6 script and the cargo driver read too),
// so the YAML holds only Artillery's own settings and no copy of the mix.
//
// loginAll (the `before` hook): a real login for each seeded user
// (mix.json users.email with n = 1..count); every virtual user then takes the
// next user's token. pickScenario: a scenario by weight. nextStep/applyStep:
// the scenario's steps in order as real requests. checkStep: counts answers
// outside a step's `expect` in mix.unexpected_status (the error bar) and each
// step's latency in mix.response_time.<step name>.

'use strict';

const MIX = require('./mix.json');
const { pickScenario: pick, fill, stepName, emailOf: emailOfN, loginStep } = require('./mix-lib.js');

const LOGIN = loginStep(MIX);
const emailOf = (n) => emailOfN(MIX, n);
let nextUser = 0;

async function login(target, email) {
  const res = await fetch(`${target}${LOGIN.path}`, {
    method: LOGIN.method,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(fill(MIX, LOGIN.body, email)),
  });
  const text = await res.text();
  if (res.status !== 200) {
    throw new Error(`login as ${email} failed with HTTP ${res.status}: ${text.slice(0, 300)}. ` +
      'Seed first (echosenseix-api seed) and check the target.');
  }
  return JSON.parse(text).token;
}

// Eight logins at a time: password hashing is the server's costliest work.
async function loginAll(context) {
  const emails = Array.from({ length: MIX.users.count }, (_, i) => emailOf(i + 1));
  const tokens = new Array(emails.length);
  let next = 0;
  const lane = async () => {
    while (next < emails.length) {
      const i = next++;
      tokens[i] = await login(context.vars.target, emails[i]);
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  context.vars.tokens = tokens;
  console.log(`logged in ${tokens.length} seeded users (${emailOf(1)} ...)`);
}

function pickScenario(context, events, done) {
  const i = nextUser++ % MIX.users.count;
  context.vars.email = emailOf(i + 1);
  context.vars.token = context.vars.tokens[i];
  const scenario = pick(MIX);
  context.vars.steps = scenario.steps;
  context.vars.stepIndex = 0;
  events.emit('counter', `mix.scenario.${scenario.name}`, 1);
  return done();
}

function applyStep(req, context, events, done) {
  const step = context.vars.steps[context.vars.stepIndex];
  req.method = step.method;
  req.url = `${context.vars.target}${fill(MIX, step.path, context.vars.email)}`;
  context.vars.stepName = stepName(step);
  req.headers = { ...(req.headers || {}), 'Content-Type': 'application/json' };
  if (step.auth !== false) req.headers.Authorization = `Bearer ${context.vars.token}`;
  if (step.body) req.json = fill(MIX, step.body, context.vars.email);
  return done();
}

function checkStep(req, res, context, events, done) {
  const step = context.vars.steps[context.vars.stepIndex];
  const ok = (step.expect || [200]).includes(res.statusCode);
  events.emit('counter', 'mix.unexpected_status', ok ? 0 : 1);
  // Per-step figures (the metrics-by-endpoint plugin only sees the YAML's placeholder).
  const took = res.timings && res.timings.phases && res.timings.phases.total;
  if (typeof took === 'number') {
    events.emit('histogram', `mix.response_time.${context.vars.stepName}`, took);
  }
  if (step.captureToken && res.statusCode === 200) {
    context.vars.token = JSON.parse(res.body).token;
  }
  context.vars.stepIndex += 1;
  return done();
}

function moreSteps(context, next) {
  return next(context.vars.stepIndex < context.vars.steps.length);
}

module.exports = { loginAll, pickScenario, applyStep, checkStep, moreSteps };
