// EchoSenseiX load test for k6: the guide's five scenarios from load-tests/mix.json.
//
//   echosenseix-api seed                       # once: creates loadtest-1..100@example.com
//   k6 run load-tests/k6-load-test.js          # the guide's ~8 minute ramp to 100 users
//   PROFILE=smoke k6 run load-tests/k6-load-test.js                      # one minute, 10 users
//   BASE_URL=http://127.0.0.1:8080 k6 run load-tests/k6-load-test.js     # through nginx
//
// Environment: BASE_URL (http://localhost:5000), PROFILE (full | smoke), THINK_TIME
// (seconds between scenarios per user; mix.json's thinkTimeSeconds by default).
// The run exits non-zero when a bar of mix.json's thresholds is missed.

import http from 'k6/http';
import { check, fail, sleep } from 'k6';
import exec from 'k6/execution';

const MIX = JSON.parse(open('./mix.json'));
const { pickScenario, fill, stepName, emailOf, loginStep } = require('./mix-lib.js');
const BASE_URL = (__ENV.BASE_URL || 'http://localhost:5000').replace(/\/+$/, '');
const PROFILE = __ENV.PROFILE || 'full';
const THINK_TIME = Number(__ENV.THINK_TIME || MIX.thinkTimeSeconds);

if (!MIX.profiles[PROFILE]) {
  throw new Error(`PROFILE=${PROFILE}: mix.json has ${Object.keys(MIX.profiles).join(', ')}`);
}

export const options = {
  stages: MIX.profiles[PROFILE],
  thresholds: {
    http_req_duration: [`p(95)<${MIX.thresholds.p95Ms}`, `p(99)<${MIX.thresholds.p99Ms}`],
    http_req_failed: [`rate<${MIX.thresholds.maxErrorRate}`],
  },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
  userAgent: 'EchoSenseiX k6 load test',
};

function send(step, user) {
  const expect = step.expect || [200];
  const headers = { 'Content-Type': 'application/json' };
  if (step.auth !== false) headers.Authorization = `Bearer ${user.token}`;
  const params = {
    headers,
    tags: { name: stepName(step) },
    responseCallback: http.expectedStatuses(...expect),
  };
  const body = step.body ? JSON.stringify(fill(MIX, step.body, user.email)) : null;
  const res = http.request(step.method, `${BASE_URL}${fill(MIX, step.path, user.email)}`, body, params);
  check(res, { [`${stepName(step)} answers ${expect.join('/')}`]: (r) => expect.includes(r.status) });
  if (step.captureToken && res.status === 200) {
    user.token = res.json('token');
  }
  return res;
}

// Per virtual user (k6 keeps module state per VU): its own seeded account and token.
let user = null;

function login() {
  const n = ((exec.vu.idInTest - 1) % MIX.users.count) + 1;
  const me = { email: emailOf(MIX, n), token: null };
  const res = send(loginStep(MIX), me);
  if (res.status !== 200 || !me.token) {
    fail(`login as ${me.email} failed with HTTP ${res.status}: ${res.body}. ` +
      'Seed first (echosenseix-api seed) and check BASE_URL.');
  }
  return me;
}

export default function () {
  if (user === null) user = login();
  for (const step of pickScenario(MIX).steps) {
    send(step, user);
  }
  sleep(THINK_TIME * (0.5 + Math.random()));
}
