// EchoSenseiX load test for k6 (https://k6.io).
//
//   make seed                                   # once: creates test1@example.com
//   k6 run load-tests/k6/load-test.js           # against http://localhost:5000
//   BASE_URL=http://localhost:8080 k6 run load-tests/k6/load-test.js   # through nginx
//
// Environment: BASE_URL, LOGIN_EMAIL, LOGIN_PASSWORD, THINK_TIME (seconds between
// requests per virtual user, default 0.5).
//
// Success bar (the run exits non-zero when one is missed):
//   p95 latency < 200 ms, p99 latency < 500 ms, failed requests < 1 %.

import http from 'k6/http';
import { check, fail, sleep } from 'k6';

const BASE_URL = (__ENV.BASE_URL || 'http://localhost:5000').replace(/\/+$/, '');
const LOGIN_EMAIL = __ENV.LOGIN_EMAIL || 'test1@example.com';
const LOGIN_PASSWORD = __ENV.LOGIN_PASSWORD || 'password123';
const THINK_TIME = Number(__ENV.THINK_TIME || '0.5');

export const options = {
  stages: [
    { duration: '30s', target: 10 }, // warm up: caches and pools fill
    { duration: '1m', target: 50 }, // ramp
    { duration: '1m', target: 100 }, // ramp to peak
    { duration: '3m', target: 100 }, // sustained peak
    { duration: '30s', target: 0 }, // ramp down
  ],
  thresholds: {
    http_req_duration: ['p(95)<200', 'p(99)<500'],
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
  // The login in setup() is not part of the measured mix.
  setupTimeout: '30s',
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max'],
};

const SEARCH_QUERIES = [
  'pricing',
  'refund policy',
  'opening hours',
  'how do I reset my password',
  'integration setup',
  'call transfer',
  'voice settings',
  'billing',
];

export function setup() {
  const res = http.post(
    `${BASE_URL}/api/auth/login`,
    JSON.stringify({ email: LOGIN_EMAIL, password: LOGIN_PASSWORD }),
    { headers: { 'Content-Type': 'application/json' }, tags: { name: 'POST /api/auth/login' } },
  );
  if (res.status !== 200) {
    fail(
      `login as ${LOGIN_EMAIL} failed with HTTP ${res.status}: ${res.body}. ` +
        'Seed the database first (make seed) and check BASE_URL.',
    );
  }
  const body = res.json();
  if (!body || !body.token) {
    fail(`login answered without a token: ${res.body}`);
  }
  console.log(`logged in as ${LOGIN_EMAIL}; token expires at ${body.expiresAt}`);
  return { token: body.token };
}

// The request mix: [weight, name, function(params) -> response].
const MIX = [
  [20, 'GET /api/analytics/overview', (p) => http.get(`${BASE_URL}/api/analytics/overview`, p)],
  [25, 'GET /api/call-logs', (p) => http.get(`${BASE_URL}/api/call-logs?page=1&limit=20`, p)],
  [20, 'GET /api/agents', (p) => http.get(`${BASE_URL}/api/agents`, p)],
  [
    15,
    'POST /api/knowledge-base/search',
    (p) =>
      http.post(
        `${BASE_URL}/api/knowledge-base/search`,
        JSON.stringify({
          query: SEARCH_QUERIES[Math.floor(Math.random() * SEARCH_QUERIES.length)],
          maxResults: 10,
        }),
        p,
      ),
  ],
  [10, 'GET /api/knowledge-base/stats', (p) => http.get(`${BASE_URL}/api/knowledge-base/stats`, p)],
  [10, 'GET /health', (p) => http.get(`${BASE_URL}/health`, p)],
];
const TOTAL_WEIGHT = MIX.reduce((sum, [w]) => sum + w, 0);

function pick() {
  let r = Math.random() * TOTAL_WEIGHT;
  for (const entry of MIX) {
    r -= entry[0];
    if (r < 0) {
      return entry;
    }
  }
  return MIX[MIX.length - 1];
}

export default function (data) {
  const [, name, send] = pick();
  const params = {
    headers: {
      Authorization: `Bearer ${data.token}`,
      'Content-Type': 'application/json',
    },
    tags: { name },
  };
  const res = send(params);
  check(res, {
    'status is 200': (r) => r.status === 200,
    'body is JSON': (r) => {
      try {
        r.json();
        return true;
      } catch (_) {
        return false;
      }
    },
  });
  sleep(THINK_TIME);
}
