import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { MetricValue } from '../../src/metrics/index.js';

/** Reads tests/goldens/metrics/<name> (written by tools/parity/make_metric_goldens.py). */
export function golden<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../goldens/metrics/${name}`, import.meta.url), 'utf8')) as T;
}

/** The tolerance every sklearn-backed metric must meet. */
export const TOL = 1e-9;

/** Asserts a number equals the golden to 1e-9 (or both are null). */
export function expectClose(actual: number | null, expected: number | null, what: string): void {
  if (expected === null) {
    expect(actual, what).toBeNull();
    return;
  }
  expect(actual, what).not.toBeNull();
  expect(Math.abs((actual as number) - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(TOL);
}

/** Asserts a MetricValue matches a golden number, or is undefined with a reason when the golden is null. */
export function expectMetric(actual: MetricValue, expected: number | null, what: string): void {
  expectClose(actual.value, expected, what);
  if (expected === null) expect(actual.reason, `${what} reason`).toMatch(/\S/);
}

export interface GoldenCase {
  name: string;
  labels: number[];
  scores: number[];
  weights?: number[];
}
