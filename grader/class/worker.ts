/**
 * A grading worker: a child process of the class runner that grades one stage of one student at a
 * time with this kit's engine, and reports each check as it finishes. Running stages here rather
 * than in the runner means a time limit is enforced by killing this process (and the servers it
 * started) — the one way to stop grading that cannot be argued with.
 */
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { gradeStage } from '../engine.ts';
import { installCleanupHandlers, killAllNow } from '../runner/processes.ts';
import { findStage } from '../stages.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import { makeCgroup, removeCgroup, stageFolder, wrapArgv } from './sandbox.ts';

installCleanupHandlers();
// The runner went away (even SIGKILL closes the channel): take every server down with us.
process.on('disconnect', () => {
  killAllNow();
  process.exit(0);
});

/** Makes a folder tree readable (and folders enterable) by everyone: it holds only test inputs. */
function openUp(dir: string): void {
  try {
    chmodSync(dir, 0o755);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) openUp(p);
      else if (e.isFile()) chmodSync(p, 0o644);
    }
  } catch {
    /* gone meanwhile */
  }
}

const send = (msg: FromWorker): void => {
  process.send?.(msg);
};

let jobs = 0;

process.on('message', (msg: ToWorker) => {
  if (msg.type !== 'grade') return;
  const { job } = msg;
  void (async () => {
    // One cgroup per job: a stage's servers run one after another, so its limit is per server.
    const limit = job.wrap.processLimit;
    const cgroup = limit?.via === 'cgroup' ? makeCgroup(limit.cgroupRoot, `socklab-${process.pid}-${++jobs}`, limit.count) : undefined;
    try {
      const stage = findStage(job.stage);
      if (!stage) throw new Error(`no stage ${job.stage} in this kit`);
      const result = await gradeStage(stage, {
        seed: job.seed,
        server: { kind: 'file', file: job.file },
        cwd: job.repo,
        includeTeacherOnly: job.includeTeacherOnly,
        listenTimeoutMs: job.listenTimeoutMs,
        env: job.env,
        wrap: (argv: string[], context?: { root: string }) => {
          // Only this stage's folder of test files is mounted: this worker's temp folder also holds
          // tsx's compile cache of the grader, teacher-only checks included.
          const docDir = stageFolder(context!.root);
          // A server running as another user must be able to read the document root we made.
          if (job.wrap.dropTo) openUp(docDir);
          const writable = (stage.writes ?? []).map((w) => path.join(context!.root, w));
          for (const w of writable) {
            mkdirSync(w, { recursive: true });
            if (job.wrap.dropTo) chmodSync(w, 0o1777);
          }
          return wrapArgv(job.wrap, job.repo, docDir, argv, cgroup, writable);
        },
        onCheck: (result) => send({ type: 'check', result }),
      });
      send({ type: 'done', result });
    } catch (err) {
      send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    } finally {
      if (cgroup) removeCgroup(cgroup);
    }
  })();
});

send({ type: 'ready', pid: process.pid });
