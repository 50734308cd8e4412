// BullMQ through two keymesh primaries, driven by BullMqIT.
// Usage: node bullmq_queue.js PORT_A PORT_B JOBS MODE. A producer adds JOBS jobs through node A and a
// worker connected to node B processes them: MODE "concurrent" starts the worker first, so both nodes
// write the queue's lists at once; "after" adds every job, waits until B counts them waiting, then
// starts the worker. Every job must complete exactly once and the queue's counts must end equal on
// both nodes. Prints "ok ..." per check and progress lines; exits 1 with "FAIL ..." lines.
const { Queue, Worker } = require('bullmq');

const [portA, portB, jobs] = process.argv.slice(2, 5).map(Number);
const mode = process.argv[5];
const connection = (port) => ({ host: '127.0.0.1', port, maxRetriesPerRequest: null });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const STATES = ['waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children'];

(async () => {
  const name = 'km-jobs';
  const queueA = new Queue(name, { connection: connection(portA) });
  const queueB = new Queue(name, { connection: connection(portB) });
  queueA.on('error', (e) => console.log('queue A error: ' + e.message));
  queueB.on('error', (e) => console.log('queue B error: ' + e.message));
  const runs = new Map();
  const failures = [];
  const startWorker = async () => {
    const worker = new Worker(name, async (job) => {
      runs.set(job.data.i, (runs.get(job.data.i) || 0) + 1);
      return job.data.i * 2;
    }, { connection: connection(portB), concurrency: 8 });
    worker.on('failed', (job, err) => failures.push((job && job.id) + ': ' + err.message));
    worker.on('error', (e) => console.log('worker error: ' + e.message));
    await worker.waitUntilReady();
    console.log('ok worker ready on B');
    return worker;
  };

  const counts = async () => [await queueA.getJobCounts(...STATES), await queueB.getJobCounts(...STATES)];
  let worker = mode === 'concurrent' ? await startWorker() : null;
  for (let i = 0; i < jobs; i++) {
    await queueA.add('job', { i });
  }
  console.log('ok added ' + jobs + ' jobs through A');
  if (worker === null) {
    const until = Date.now() + 60000;
    while ((await queueB.getJobCounts('waiting')).waiting < jobs && Date.now() < until) await sleep(100);
    console.log('waiting on B before the worker starts: ' + (await queueB.getJobCounts('waiting')).waiting);
    worker = await startWorker();
  }

  let deadline = Date.now() + 180000;
  let lastReport = 0;
  let lastCount = -1;
  let lastChange = Date.now();
  // stop waiting when nothing completes for 60 s (BullMQ's stalled-job check runs every 30 s)
  while (runs.size < jobs && Date.now() < deadline && Date.now() - lastChange < 60000) {
    if (runs.size !== lastCount) {
      lastCount = runs.size;
      lastChange = Date.now();
    }
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      const [ca, cb] = await counts();
      console.log('progress: processed ' + runs.size + '; A ' + JSON.stringify(ca) + '; B ' + JSON.stringify(cb));
    }
    await sleep(100);
  }
  const fails = [];
  const missing = [];
  for (let i = 0; i < jobs; i++) if (!runs.has(i)) missing.push(i);
  const twice = [...runs.entries()].filter(([, n]) => n > 1).map(([i, n]) => i + 'x' + n);
  console.log('processed ' + runs.size + ' of ' + jobs + '; never run: ' + missing.length
    + (missing.length ? ' (first: ' + missing.slice(0, 20).join(',') + ')' : '')
    + '; run more than once: ' + twice.length + (twice.length ? ' (' + twice.slice(0, 20).join(',') + ')' : ''));
  if (missing.length === 0) console.log('ok every job ran'); else fails.push('jobs never ran: ' + missing.length);
  if (twice.length === 0) console.log('ok no job ran twice'); else fails.push('jobs ran more than once: ' + twice.length);
  if (failures.length === 0) console.log('ok no job failed'); else fails.push('failed jobs: ' + failures.slice(0, 10).join('; '));

  deadline = Date.now() + 60000;
  let ca, cb;
  for (;;) {
    [ca, cb] = await counts();
    // equal on both nodes: final once no job is left to run (B, the worker's node, is never behind A)
    const equal = JSON.stringify(ca) === JSON.stringify(cb);
    if ((equal && (ca.completed === jobs || runs.size < jobs)) || Date.now() > deadline) break;
    await sleep(200);
  }
  console.log('counts A ' + JSON.stringify(ca));
  console.log('counts B ' + JSON.stringify(cb));
  if (ca.completed === jobs) console.log('ok completed on A'); else fails.push('A counts ' + ca.completed + ' completed');
  if (JSON.stringify(ca) === JSON.stringify(cb)) console.log('ok counts equal on A and B'); else fails.push('counts differ');

  await worker.close();
  await queueA.close();
  await queueB.close();
  for (const f of fails) console.log('FAIL ' + f);
  if (fails.length) process.exit(1);
  console.log('done');
})().catch((e) => { console.log('FAIL ' + (e && e.stack || e)); process.exit(1); });
