/**
 * Confining student servers. Where bubblewrap works, each server runs in its own mount and pid
 * namespace: the system read-only, the student's repo read-only at its real path, the one stage's
 * document folder read-only, of the kit only tsx and the watchdog (nothing of the grader's sources,
 * compiled or not: tsx's compile cache is never mounted), a /tmp of its own bounded in size, and
 * --die-with-parent so it cannot outlive its grader. Each lane's worker runs in a network namespace
 * of its own, so its clients and its one server share a private loopback: a server reaches neither
 * classmates' servers nor anything on the host's loopback.
 *
 * Independently of bubblewrap: an RLIMIT_DATA memory limit through prlimit (RLIMIT_AS does not work
 * for Node: V8 reserves gigabytes of address space at start and dies at once), and a cap on the
 * number of processes — a cgroup pids limit where the grader may create cgroups (root), else
 * RLIMIT_NPROC where the server has a user namespace of its own to count in.
 *
 * `SOCKLAB_PRETEND_MISSING=bwrap,netns,prlimit,cgroup` makes the machine look as if it lacked one
 * of these (the tests prove each fallback that way); the class results say which defences held.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { join, t, type Text } from '../i18n.ts';
import { kitRoot } from '../layout.ts';
import type { SandboxInfo } from '../results.ts';
import { findExecutable, pretendMissing } from '../runner/contain.ts';

export { findExecutable };

/** What a worker needs to wrap one student's server; plain data, so it crosses process boundaries. */
export interface WrapSpec {
  bwrap?: string;
  prlimit?: string;
  memoryBytes?: number;
  /** Size of the server's private /tmp (bwrap only). */
  tmpBytes?: number;
  /** At most this many processes (threads count) per server, and how that is enforced. */
  processLimit?: { count: number; via: 'cgroup'; cgroupRoot: string } | { count: number; via: 'rlimit' };
  /** Paths the server needs read-only besides the system: node, tsx and what it loads, the watchdog. */
  runtimePaths: string[];
  /** Running as root: drop every capability inside the sandbox. */
  dropCaps: boolean;
  /** Running as root without bubblewrap: run servers as this unprivileged user (setpriv). */
  dropTo?: { setpriv: string; uid: number; gid: number };
}

/** Each lane's worker is started behind this argv prefix: its own network namespace. */
export type NetnsPrefix = string[];

export const PROCESS_LIMIT = 64;
export const TMP_BYTES = 32 * 2 ** 20;

/** Variables a server may see besides PORT, STATIC_DIR, TMPDIR and HOME: locale, time zone, PATH. */
export function allowedEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (k === 'PATH' || k === 'LANG' || k === 'LANGUAGE' || k === 'TZ' || k.startsWith('LC_')) out[k] = v;
    // The teacher's own runtime flags (e.g. --max-old-space-size) apply to servers too.
    if (k === 'NODE_OPTIONS') out[k] = v;
  }
  return out;
}

/** The package folders tsx needs at run time (tsx, esbuild and its platform binary), as the kit has them. */
function packageClosure(root: string, name: string, seen = new Set<string>()): string[] {
  const dir = [path.join(root, 'node_modules', name), path.join(kitRoot, 'node_modules', name)].find((d) => existsSync(path.join(d, 'package.json')));
  if (!dir || seen.has(dir)) return [];
  seen.add(dir);
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
  const out = [dir];
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) out.push(...packageClosure(dir, dep, seen));
  return out;
}

/** Read-only paths a server run by this kit needs: node's install, tsx and its dependencies, the watchdog. */
export function runtimePaths(): string[] {
  const out = new Set<string>();
  const node = realpathSync(process.execPath);
  // /usr/bin/node is covered by /usr; a node from nvm or a tarball lives in its own prefix.
  if (!node.startsWith('/usr/')) out.add(path.dirname(path.dirname(node)));
  for (const p of [...packageClosure(kitRoot, 'tsx'), path.join(kitRoot, 'grader', 'runner', 'watchdog.mjs')]) {
    if (!existsSync(p)) continue;
    out.add(path.resolve(p));
    out.add(realpathSync(p));
  }
  return [...out];
}

const SYSTEM_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** Only what name lookup and TLS need from /etc: no passwords, keys or configuration of the host. */
const ETC_FILES = ['/etc/hosts', '/etc/host.conf', '/etc/nsswitch.conf', '/etc/resolv.conf', '/etc/passwd', '/etc/group', '/etc/localtime', '/etc/ssl', '/etc/ca-certificates'];

/**
 * The bwrap arguments for one server. `repo` is mounted read-only at its real path (so error
 * messages name real files), and `docDir` — the one folder holding this stage's document root and
 * the files outside it that traversal checks look for — too.
 */
export function bwrapArgs(spec: WrapSpec, repo: string, docDir: string, writable: readonly string[] = []): string[] {
  const args = ['--die-with-parent', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'];
  if (spec.dropCaps) args.push('--cap-drop', 'ALL');
  args.push('--ro-bind', '/usr', '/usr');
  for (const d of SYSTEM_DIRS) {
    let st;
    try {
      st = lstatSync(d);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(d), d);
    else args.push('--ro-bind', d, d);
  }
  for (const f of ETC_FILES) args.push('--ro-bind-try', f, f);
  args.push('--proc', '/proc', '--dev', '/dev');
  if (spec.tmpBytes) args.push('--size', String(spec.tmpBytes));
  args.push('--tmpfs', '/tmp');
  // After the tmpfs, so paths under /tmp (test classes, a kit unpacked there) reappear on top of it.
  for (const p of spec.runtimePaths) args.push('--ro-bind', p, p);
  const realRepo = realpathSync(repo);
  args.push('--ro-bind', realRepo, realRepo);
  if (realRepo !== path.resolve(repo)) args.push('--ro-bind', realRepo, path.resolve(repo));
  args.push('--ro-bind', docDir, docDir);
  for (const w of writable) args.push('--bind', w, w);
  args.push('--chdir', realRepo, '--setenv', 'TMPDIR', '/tmp', '--setenv', 'HOME', '/tmp', '--');
  return args;
}

/**
 * Wraps a server's argv: the cgroup (if any) entered first, so that every process after it is
 * counted; then bubblewrap (if any); then the user switch and prlimit (if any) around the command.
 */
export function wrapArgv(spec: WrapSpec, repo: string, docDir: string, argv: string[], cgroup?: string, writable: readonly string[] = []): string[] {
  const user = spec.dropTo ? [spec.dropTo.setpriv, `--reuid=${spec.dropTo.uid}`, `--regid=${spec.dropTo.gid}`, '--clear-groups', '--'] : [];
  const limits: string[] = [];
  if (spec.memoryBytes) limits.push(`--data=${spec.memoryBytes}`);
  if (spec.processLimit?.via === 'rlimit') limits.push(`--nproc=${spec.processLimit.count}`);
  const limited = spec.prlimit && limits.length ? [...user, spec.prlimit, ...limits, '--', ...argv] : [...user, ...argv];
  const boxed = spec.bwrap ? [spec.bwrap, ...bwrapArgs(spec, repo, docDir, writable), ...limited] : limited;
  return cgroup ? ['/bin/sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup, ...boxed] : boxed;
}

/** Where this process may create pids cgroups (cgroup v1 pids hierarchy, or v2 with pids enabled). */
function pidsCgroupRoot(): string | undefined {
  let lines: string[];
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  } catch {
    return undefined;
  }
  const v1 = lines.map((l) => l.split(':')).find(([, ctl]) => ctl!.split(',').includes('pids'));
  if (v1 && existsSync('/sys/fs/cgroup/pids')) return path.join('/sys/fs/cgroup/pids', v1[2]!);
  const v2 = lines.find((l) => l.startsWith('0::'));
  if (v2 && existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    const dir = path.join('/sys/fs/cgroup', v2.slice(3));
    try {
      if (readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('pids')) return dir;
    } catch {
      /* no pids controller for children */
    }
  }
  return undefined;
}

/** A fresh pids cgroup for one job's server, or undefined when it cannot be made. */
export function makeCgroup(root: string, name: string, count: number): string | undefined {
  const dir = path.join(root, name);
  try {
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'pids.max'), String(count));
    return dir;
  } catch {
    removeCgroup(dir);
    return undefined;
  }
}

/** SIGKILLs whatever is still in the cgroup (also processes that left their group) and removes it. */
export function removeCgroup(dir: string): void {
  for (let i = 0; i < 100; i++) {
    let pids: number[] = [];
    try {
      pids = readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean).map(Number);
    } catch {
      return; // gone
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
    try {
      rmdirSync(dir);
      return;
    } catch {
      // Killed processes leave the cgroup a moment later.
      execFileSync('/bin/sleep', ['0.01']);
    }
  }
}

/**
 * Removes cgroups named socklab-PID-…: of one worker (`only`), or of every worker that is gone —
 * left behind by a grader killed outright.
 */
export function sweepCgroups(root: string, only?: number): void {
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^socklab-(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (only !== undefined && pid !== only) continue;
    if (only === undefined) {
      try {
        process.kill(pid, 0);
        continue; // its worker still runs
      } catch {
        /* gone: sweep */
      }
    }
    removeCgroup(path.join(root, name));
  }
}

function probe(cmd: string, args: string[]): string | undefined {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
    return undefined;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim().split('\n')[0] || 'failed';
  }
}

export interface Sandbox {
  spec: WrapSpec;
  /** The argv prefix each lane's worker runs behind: a network namespace of its own. */
  netns?: NetnsPrefix;
  info: SandboxInfo;
}

/**
 * Finds out, once per class run, how servers can be confined on this machine. Each defence is tried
 * for real: bubblewrap may be installed and still unusable (a container without user namespaces).
 */
export function detectSandbox(opts: { memoryBytes: number; allowSandbox: boolean; probeDir: string }): Sandbox {
  const root = process.getuid?.() === 0;
  const prlimit = pretendMissing('prlimit') ? undefined : findExecutable('prlimit');
  const spec: WrapSpec = {
    prlimit,
    memoryBytes: prlimit ? opts.memoryBytes : undefined,
    runtimePaths: runtimePaths(),
    dropCaps: root,
  };
  // Without a sandbox, a server running as root could rewrite the grader or the results: as root
  // (a Gradescope container, a CI box), run servers as nobody instead.
  const setpriv = root ? findExecutable('setpriv') : undefined;
  const bwrap = opts.allowSandbox && !pretendMissing('bwrap') ? findExecutable('bwrap') : undefined;
  let bwrapWhy: string | undefined = opts.allowSandbox ? (bwrap ? undefined : 'not-installed') : 'off';
  if (bwrap) {
    const trial = { ...spec, bwrap, tmpBytes: TMP_BYTES };
    const failed = probe(bwrap, [...bwrapArgs(trial, opts.probeDir, opts.probeDir), '/bin/sh', '-c', 'exit 0']);
    if (!failed) Object.assign(spec, { bwrap, tmpBytes: TMP_BYTES });
    else if (!probe(bwrap, [...bwrapArgs({ ...trial, tmpBytes: undefined }, opts.probeDir, opts.probeDir), '/bin/sh', '-c', 'exit 0'])) spec.bwrap = bwrap; // an old bwrap without --size
    else bwrapWhy = failed;
  }
  if (!spec.bwrap && setpriv) spec.dropTo = { setpriv, uid: 65534, gid: 65534 };

  // Processes: a cgroup where we may make one; else RLIMIT_NPROC, which counts per user — per
  // sandbox only where the server has a user namespace of its own (bubblewrap run by a non-root
  // user, on Linux 5.14 or newer): the probe forks more processes than the limit allows in total.
  const cgroupRoot = pretendMissing('cgroup') ? undefined : pidsCgroupRoot();
  if (cgroupRoot) {
    sweepCgroups(cgroupRoot);
    const trial = makeCgroup(cgroupRoot, `socklab-${process.pid}-probe`, PROCESS_LIMIT);
    if (trial) {
      const failed = probe('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs"', trial]);
      removeCgroup(trial);
      if (!failed) spec.processLimit = { count: PROCESS_LIMIT, via: 'cgroup', cgroupRoot };
    }
  }
  const [major = 0, minor = 0] = os.release().split('.').map(Number);
  const perNamespaceCounts = major > 5 || (major === 5 && minor >= 14); // ucounts: RLIMIT_NPROC per user namespace
  if (!spec.processLimit && spec.prlimit && spec.bwrap && !root && perNamespaceCounts) {
    // Eight processes at once: allowed under the real limit, refused under a limit of four.
    const forks = (limit: number): string | undefined =>
      probe(spec.bwrap!, [...bwrapArgs(spec, opts.probeDir, opts.probeDir), spec.prlimit!, `--nproc=${limit}`, '--', '/bin/sh', '-c', '/bin/sleep 0.1 & '.repeat(8) + 'wait']);
    if (!forks(PROCESS_LIMIT) && forks(4)) spec.processLimit = { count: PROCESS_LIMIT, via: 'rlimit' };
  }

  // The network: each worker with its server in a namespace of their own, bubblewrap inside it.
  let netns: NetnsPrefix | undefined;
  if (spec.bwrap && !pretendMissing('netns')) {
    const prefix = [spec.bwrap, '--unshare-net', '--dev-bind', '/', '/', '--die-with-parent', '--'];
    if (!probe(prefix[0]!, [...prefix.slice(1), spec.bwrap, ...bwrapArgs(spec, opts.probeDir, opts.probeDir), '/bin/sh', '-c', 'exit 0'])) netns = prefix;
  }

  return { spec, netns, info: describe(spec, Boolean(netns), bwrapWhy, opts.memoryBytes) };
}

/** The facts of what held, and one paragraph saying so for the report header. */
function describe(spec: WrapSpec, privateNetwork: boolean, bwrapWhy: string | undefined, memoryBytes: number): SandboxInfo {
  const mib = (n: number): number => Math.round(n / 2 ** 20);
  const parts: Text[] = [];
  if (spec.bwrap) {
    parts.push(
      t(
        `Sandboxed with bubblewrap: read-only system, the student's repo and the test files read-only, nothing of the grader, a private /tmp${spec.tmpBytes ? ` of ${mib(spec.tmpBytes)} MiB` : ' (size not bounded: this bubblewrap is too old for --size)'}, no view of other students' folders, own pid namespace, killed with the grader.`,
        `使用 bubblewrap 沙箱：系统只读，学生仓库和测试文件只读，看不到评测器本身，私有的 /tmp${spec.tmpBytes ? `（${mib(spec.tmpBytes)} MiB）` : '（大小没有限制：这个 bubblewrap 版本太旧，不支持 --size）'}，看不到其他学生的文件夹，独立的 pid 命名空间，随评测器一起结束。`,
      ),
    );
  } else {
    const why =
      bwrapWhy === 'off'
        ? t('Not sandboxed (turned off).', '未使用沙箱（已关闭）。')
        : bwrapWhy === 'not-installed'
          ? t(
              'Not sandboxed: bubblewrap (bwrap) is not installed, so student servers ran without confinement (the disk, /tmp and the network shared), each in its own process group with time limits. Install bubblewrap to confine them.',
              '未使用沙箱：没有安装 bubblewrap（bwrap），学生的服务器没有被隔离（磁盘、/tmp 和网络都是共享的），只是各自在独立的进程组中并有时间限制。安装 bubblewrap 即可把它们隔离起来。',
            )
          : t(
              `Not sandboxed: bubblewrap is installed but cannot run here (${bwrapWhy}), so student servers ran without confinement (the disk, /tmp and the network shared), each in its own process group with time limits.`,
              `未使用沙箱：已安装 bubblewrap 但在这里无法运行（${bwrapWhy}），学生的服务器没有被隔离（磁盘、/tmp 和网络都是共享的），只是各自在独立的进程组中并有时间限制。`,
            );
    parts.push(why);
    if (spec.dropTo) parts.push(t('Servers ran as user nobody, not root.', '服务器以 nobody 用户而非 root 运行。'));
  }
  if (spec.bwrap) {
    parts.push(
      privateNetwork
        ? t("Network: each server alone with its grader on a private loopback (no classmates' servers, nothing of the host).", '网络：每个服务器和它的评测器独享一个私有的回环网络（看不到同学的服务器，也看不到本机的任何服务）。')
        : t("Network: shared — this machine does not allow a network namespace per server, so a server could reach classmates' servers and the host's loopback.", '网络：共享——这台机器不允许为每个服务器建立独立的网络命名空间，服务器可以连到同学的服务器和本机回环上的服务。'),
    );
  }
  parts.push(
    spec.processLimit
      ? t(`Processes: at most ${spec.processLimit.count} per server (${spec.processLimit.via === 'cgroup' ? 'cgroup pids limit' : 'RLIMIT_NPROC'}).`, `进程：每个服务器最多 ${spec.processLimit.count} 个（${spec.processLimit.via === 'cgroup' ? 'cgroup pids 限制' : 'RLIMIT_NPROC'}）。`)
      : t('Processes: not limited (no cgroup could be made here, and RLIMIT_NPROC would not count per server).', '进程：没有限制（这里无法建立 cgroup，RLIMIT_NPROC 也不能按服务器计数）。'),
  );
  parts.push(
    spec.memoryBytes
      ? t(`Memory limit: ${mib(memoryBytes)} MiB per server.`, `内存上限：每个服务器 ${mib(memoryBytes)} MiB。`)
      : t('No memory limit (prlimit from util-linux is not installed).', '没有内存上限（未安装 util-linux 的 prlimit）。'),
  );
  parts.push(t('Environment: only PATH, locale, time zone, PORT, STATIC_DIR, TMPDIR and HOME.', '环境变量：只有 PATH、语言区域、时区、PORT、STATIC_DIR、TMPDIR 和 HOME。'));
  return {
    kind: spec.bwrap ? 'bubblewrap' : 'none',
    note: join(parts, ' '),
    memoryLimitBytes: spec.memoryBytes,
    defences: {
      filesystem: Boolean(spec.bwrap),
      pidNamespace: Boolean(spec.bwrap),
      network: privateNetwork ? 'private' : 'shared',
      tmpBytes: spec.bwrap ? spec.tmpBytes : undefined,
      processLimit: spec.processLimit ? { count: spec.processLimit.count, via: spec.processLimit.via } : undefined,
      envAllowlist: true,
    },
  };
}

/** The folder directly under `tmp` that holds `root` (a stage's whole document folder), or `root` itself. */
export function stageFolder(root: string, tmp = os.tmpdir()): string {
  const rel = path.relative(tmp, root);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return root;
  return path.join(tmp, rel.split(path.sep)[0]!);
}
