// `kvmatrix bisect --versions`: the first kernel of a matrix config (any
// providers), ordered by version, where the case changes. Each step is an
// ordinary cell of that kernel (its own source, the build cache, a matrix
// run's builds reused), with only the case's suite; the search is
// version-search.ts. The sources are fetched first, to learn the versions.
import { join } from 'node:path';
import type { AccelPolicy } from '../arch/host.ts';
import type { Ctx } from '../stage.ts';
import type { KernelEntry, MatrixConfig, VariantEntry } from '../plan/config.ts';
import { fetchSource } from '../source/fetch.ts';
import { compareVersions } from '../util/version-range.ts';
import { cellDirName } from '../results/paths.ts';
import { runStep, type StepRequest } from './step.ts';
import { chooseBisectRun, saveBisect } from './run-dir.ts';
import { nextVersionProbe, type ProbeAnswer, type SearchState } from './version-search.ts';
import { BISECT_SCHEMA, termsFor, type BisectAnswer, type BisectRecord, type BisectRequestRecord, type BisectStep } from './record.ts';

export interface BisectVersionsRequest {
  config: MatrixConfig;
  kernels: KernelEntry[];
  caseId: string;
  suite: string;
  arch: string;
  variant: VariantEntry;
  fixed: boolean;
  accel: AccelPolicy;
  rebuild?: boolean;
  force?: boolean;
  outDir?: string;
  /** Tests: what a step says about a kernel, instead of building and booting it. */
  runStep?: (ctx: Ctx, req: StepRequest) => Promise<{ step: BisectStep }>;
}

interface Versioned {
  kernel: KernelEntry;
  version: string;
}

/** Fetch each kernel's source (cached ones cost a second) and sort by version; equal versions keep the config's order. */
async function orderByVersion(ctx: Ctx, kernels: KernelEntry[]): Promise<Versioned[]> {
  const out: Versioned[] = [];
  for (const kernel of kernels) {
    const log = join(ctx.cacheDir, 'bisect', 'versions', `${cellDirName(kernel.id)}-source.log`);
    const source = await fetchSource({ ...ctx, cell: kernel.id }, kernel.source, log);
    out.push({ kernel, version: source.kernelVersion });
  }
  return out.map((v, i) => ({ v, i })).sort((a, b) => compareVersions(a.v.version, b.v.version) || a.i - b.i).map((x) => x.v);
}

export async function bisectVersions(ctx: Ctx, req: BisectVersionsRequest): Promise<{ runDir: string; record: BisectRecord }> {
  const ordered = await orderByVersion(ctx, req.kernels);
  const request: BisectRequestRecord = {
    mode: 'versions', caseId: req.caseId, suite: req.suite, arch: req.arch, variant: req.variant.name, fixed: req.fixed,
    config: { file: req.config.file, sha256: req.config.sha256 }, kernels: ordered.map((o) => o.kernel.id),
  };
  const { dir, previous, runId } = await chooseBisectRun(request, req);
  const record: BisectRecord = previous ?? {
    schema: BISECT_SCHEMA, runId, request, terms: termsFor(req.fixed), range: { candidates: ordered.length, expectedSteps: 2 + Math.ceil(Math.log2(Math.max(1, ordered.length - 1))) },
    steps: [], answer: { status: 'running' }, startedAt: new Date().toISOString(), finishedAt: null, meanStepMs: null,
  };
  ctx.report({ kind: 'info', cell: 'bisect', text: `${previous ? 'resuming' : 'starting'} version bisection ${dir}: ${ordered.map((o) => `${o.kernel.id} (${o.version})`).join(' < ')}` });
  await saveBisect(dir, record);
  let state = searchState(record, ordered);
  while (state.kind === 'test' && !ctx.signal?.aborted) {
    const { kernel, version } = ordered[state.index] as Versioned;
    const n = record.steps.length + 1;
    ctx.report({ kind: 'info', cell: 'bisect', text: `step ${n} of about ${Math.max(n, record.range.expectedSteps)}: kernel ${kernel.id} (${version})` });
    const { step } = await (req.runStep ?? runStep)(ctx, {
      n, commit: kernel.id, subject: version, plan: { id: `step${n}-${kernel.id}/${req.arch}/${req.variant.name}`, kernel, arch: req.arch, variant: req.variant, repeat: 1 },
      config: req.config, caseId: req.caseId, terms: record.terms, runDir: dir, accel: req.accel, rebuild: req.rebuild,
    });
    record.steps.push({ ...step, version });
    await saveBisect(dir, record);
    ctx.report({ kind: 'info', cell: 'bisect', text: `step ${n}: ${step.said} (${step.evidence.reason}) in ${(step.durationMs / 1000).toFixed(1)} s` });
    state = searchState(record, ordered);
  }
  record.answer = versionsAnswer(state, ordered, record);
  record.finishedAt = record.answer.status === 'running' ? null : new Date().toISOString();
  await saveBisect(dir, record);
  return { runDir: dir, record };
}

function searchState(record: BisectRecord, ordered: Versioned[]): SearchState {
  const results: (ProbeAnswer | undefined)[] = ordered.map((o) => record.steps.filter((s) => s.commit === o.kernel.id).pop()?.term);
  return nextVersionProbe(results);
}

function versionsAnswer(state: SearchState, ordered: Versioned[], record: BisectRecord): BisectAnswer {
  const at = (i: number) => ordered[i] as Versioned;
  switch (state.kind) {
    case 'test': return { status: 'running' };
    case 'found': return { status: 'found', commit: at(state.index).kernel.id, subject: at(state.index).version, version: at(state.index).version, change: { from: record.terms[state.from as 'old' | 'new'], to: record.terms[state.to as 'old' | 'new'] } };
    case 'ambiguous': return { status: 'ambiguous', candidates: state.candidates.map((i) => ({ commit: at(i).kernel.id, subject: at(i).version })) };
    case 'no-change': return { status: 'no-change', outcome: state.outcome === null ? 'no answer (every kernel skipped)' : record.terms[state.outcome as 'old' | 'new'] };
  }
}
