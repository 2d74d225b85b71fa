// A k6 test that leaves its end-of-test summary where keptn-dt-metrics reads it (--results).
// RESULTS is a writable directory: /keptn for the job-executor, the task's volume for Keptn.
import http from 'k6/http';
import { check, sleep } from 'k6';

export const options = {
  vus: 10,
  duration: '1m',
  // p(99) is not among k6's default trend statistics; add it to have response_time_p99.
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

const target = __ENV.TARGET_URL || 'http://carts.sockshop.svc.cluster.local';

export default function () {
  const res = http.get(`${target}/carts`, { tags: { name: 'GET /carts' } });
  check(res, { 'status is 200': (r) => r.status === 200 });
  sleep(1);
}

// The summary as k6 hands it over, written as JSON; k6 prints no text summary when this is set.
export function handleSummary(data) {
  return { [`${__ENV.RESULTS || '/results'}/summary.json`]: JSON.stringify(data) };
}
