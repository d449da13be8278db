import { parentPort } from 'node:worker_threads';
import { withMethodOf, type AggregateContext } from './aggregate.js';
import { detectorView, type MetaCore } from './detector-view.js';
import { runJob, type DetectorJob } from './parallel.js';

/**
 * The worker side of parallel.ts: started early (module loading overlaps the report's reading), it waits for
 * one message with its detectors, then ranks, thresholds and aggregates them.
 */
parentPort!.once('message', (msg: { meta: MetaCore; ctx: AggregateContext; jobs: DetectorJob[]; policy: string }) => {
  try {
    const context = { ...msg.ctx, plan: withMethodOf(msg.ctx.plan) };
    const results = msg.jobs.map((job) => runJob(detectorView(msg.meta, job.scores), job, context, msg.policy));
    parentPort!.postMessage({ results });
  } catch (error) {
    parentPort!.postMessage({ error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) });
  }
});
