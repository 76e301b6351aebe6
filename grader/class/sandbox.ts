/**
 * Confining student servers. Where bubblewrap works, each server runs in its own mount and pid
 * namespace: the system read-only, the student's repo read-only at its real path, a private
 * writable /tmp, nothing else of the disk (no classmates, no home folder, no grader sources beyond
 * what running a server needs), and --die-with-parent so it cannot outlive its grader. The network
 * stays shared: the grader reaches the server over loopback.
 *
 * Independently of that, each server gets an RLIMIT_DATA memory limit through prlimit. (RLIMIT_AS
 * does not work for Node: V8 reserves gigabytes of address space at start and dies at once.)
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { join, t, type Text } from '../i18n.ts';
import { kitRoot } from '../layout.ts';
import type { SandboxInfo } from '../results.ts';

/** What a worker needs to wrap one student's server; plain data, so it crosses process boundaries. */
export interface WrapSpec {
  bwrap?: string;
  prlimit?: string;
  memoryBytes?: number;
  /** Paths the server needs read-only besides the system: node, the kit's tsx, the watchdog. */
  runtimePaths: string[];
  /** Running as root: drop every capability inside the sandbox. */
  dropCaps: boolean;
  /** Running as root without bubblewrap: run servers as this unprivileged user (setpriv). */
  dropTo?: { setpriv: string; uid: number; gid: number };
}

export function findExecutable(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter).filter(Boolean)) {
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Read-only paths a server run by this kit needs: node's install and the kit's node_modules and runner. */
export function runtimePaths(): string[] {
  const out = new Set<string>();
  const node = realpathSync(process.execPath);
  // /usr/bin/node is covered by /usr; a node from nvm or a tarball lives in its own prefix.
  if (!node.startsWith('/usr/')) out.add(path.dirname(path.dirname(node)));
  for (const p of [path.join(kitRoot, 'node_modules'), path.join(kitRoot, 'grader', 'runner')]) {
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
 * messages name real files) and `docRoot` — the folder holding the grader's document roots — too.
 */
export function bwrapArgs(spec: WrapSpec, repo: string, docRoot: string): string[] {
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
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  // After the tmpfs, so paths under /tmp (test classes, a kit unpacked there) reappear on top of it.
  for (const p of spec.runtimePaths) args.push('--ro-bind', p, p);
  const realRepo = realpathSync(repo);
  args.push('--ro-bind', realRepo, realRepo);
  if (realRepo !== path.resolve(repo)) args.push('--ro-bind', realRepo, path.resolve(repo));
  args.push('--ro-bind', docRoot, docRoot, '--chdir', realRepo, '--setenv', 'TMPDIR', '/tmp', '--setenv', 'HOME', '/tmp', '--');
  return args;
}

/** Wraps a server's argv: bubblewrap (if any) around prlimit (if any) around the command. */
export function wrapArgv(spec: WrapSpec, repo: string, docRoot: string, argv: string[]): string[] {
  const user = spec.dropTo ? [spec.dropTo.setpriv, `--reuid=${spec.dropTo.uid}`, `--regid=${spec.dropTo.gid}`, '--clear-groups', '--'] : [];
  const limited = spec.prlimit && spec.memoryBytes ? [...user, spec.prlimit, `--data=${spec.memoryBytes}`, '--', ...argv] : [...user, ...argv];
  return spec.bwrap ? [spec.bwrap, ...bwrapArgs(spec, repo, docRoot), ...limited] : limited;
}

/**
 * Finds out, once per class run, how servers can be confined on this machine. bubblewrap may be
 * installed and still unusable (a container without user namespaces): it is tried for real.
 */
export function detectSandbox(opts: { memoryBytes: number; allowSandbox: boolean; probeDir: string }): { spec: WrapSpec; info: SandboxInfo } {
  const prlimit = findExecutable('prlimit');
  const spec: WrapSpec = {
    prlimit,
    memoryBytes: prlimit ? opts.memoryBytes : undefined,
    runtimePaths: runtimePaths(),
    dropCaps: process.getuid?.() === 0,
  };
  const mib = Math.round(opts.memoryBytes / 2 ** 20);
  const memNote = prlimit
    ? t(` Memory limit: ${mib} MiB per server.`, ` 内存上限：每个服务器 ${mib} MiB。`)
    : t(' No memory limit (prlimit from util-linux is not installed).', ' 没有内存上限（未安装 util-linux 的 prlimit）。');
  const memoryLimitBytes = prlimit ? opts.memoryBytes : undefined;
  // Without a sandbox, a server running as root could rewrite the grader or the results: as root
  // (a Gradescope container, a CI box), run servers as nobody instead.
  const setpriv = process.getuid?.() === 0 ? findExecutable('setpriv') : undefined;
  const unsandboxed = (why: Text): { spec: WrapSpec; info: SandboxInfo } => {
    const dropTo = setpriv ? { setpriv, uid: 65534, gid: 65534 } : undefined;
    const asNobody = dropTo ? t(' Servers ran as user nobody, not root.', ' 服务器以 nobody 用户而非 root 运行。') : t('', '');
    return { spec: { ...spec, dropTo }, info: { kind: 'none', note: join([why, asNobody], ''), memoryLimitBytes } };
  };
  if (!opts.allowSandbox) {
    return unsandboxed(t(`Not sandboxed (turned off).${memNote.en}`, `未使用沙箱（已关闭）。${memNote.zh}`));
  }
  const bwrap = findExecutable('bwrap');
  if (!bwrap) {
    return unsandboxed(
      t(
        `Not sandboxed: bubblewrap (bwrap) is not installed, so student servers ran without confinement, each in its own process group with time limits.${memNote.en} Install bubblewrap to confine them.`,
        `未使用沙箱：没有安装 bubblewrap（bwrap），学生的服务器没有被隔离，只是各自在独立的进程组中并有时间限制。${memNote.zh}安装 bubblewrap 即可把它们隔离起来。`,
      ),
    );
  }
  const trial = { ...spec, bwrap };
  try {
    execFileSync(bwrap, [...bwrapArgs(trial, opts.probeDir, opts.probeDir), '/bin/sh', '-c', 'exit 0'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
  } catch (err) {
    const why = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim().split('\n')[0] || 'failed';
    return unsandboxed(
      t(
        `Not sandboxed: bubblewrap is installed but cannot run here (${why}), so student servers ran without confinement, each in its own process group with time limits.${memNote.en}`,
        `未使用沙箱：已安装 bubblewrap 但在这里无法运行（${why}），学生的服务器没有被隔离，只是各自在独立的进程组中并有时间限制。${memNote.zh}`,
      ),
    );
  }
  return {
    spec: trial,
    info: {
      kind: 'bubblewrap',
      note: t(
        `Sandboxed with bubblewrap: read-only system, the student's repo read-only, a private /tmp, no view of other students' folders, own pid namespace, killed with the grader.${memNote.en}`,
        `使用 bubblewrap 沙箱：系统只读，学生仓库只读，私有的 /tmp，看不到其他学生的文件夹，独立的 pid 命名空间，随评测器一起结束。${memNote.zh}`,
      ),
      memoryLimitBytes,
    },
  };
}
