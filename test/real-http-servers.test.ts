/**
 * Real web servers must pass the HTTP stages through --cmd: the grader judges HTTP/1.1 on the wire,
 * so anything that speaks it correctly passes, whatever it is written in. nginx, configured to serve
 * the grader's document root, passes every check of stages 2 and 3. Python's http.server passes
 * stage 3 except the two checks it cannot: it answers HTTP/1.0, and its 404 page is its own.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explainFailures, failedIds, grade, has } from './helpers.ts';

const nginx = has('nginx');
const python = has('python3');
if (!nginx) console.warn('SKIPPED: nginx is not installed (apt-get install nginx-light); .ci/run installs it');
if (!python) console.warn('SKIPPED: python3 is not installed; the python http.server checks need it');

/**
 * A config template for nginx; the shell command fills in {port} and {root} for each run. The
 * location blocks are what "configured to serve the same document root" means for each stage.
 */
function nginxConfig(dir: string, location: string): string {
  // Debian's list when it is there (the point is nginx as shipped); the same few types otherwise.
  const mime = existsSync('/etc/nginx/mime.types')
    ? 'include /etc/nginx/mime.types;'
    : 'types { text/html html; text/css css; application/javascript js; application/json json; text/plain txt; image/svg+xml svg; image/png png; image/jpeg jpg jpeg; image/gif gif; image/x-icon ico; }';
  return `
daemon off;
master_process on;
worker_processes 1;
user root;
pid ${dir}/nginx-@PORT@.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
  ${mime}
  default_type application/octet-stream;
  charset utf-8;
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:@PORT@;
    root @ROOT@;
    index index.html;
    ${location}
  }
}
`;
}

const STAGE_2_LOCATION = `
    # Stage 2: every request gets index.html.
    location / { try_files /index.html =500; }`;

const STAGE_3_LOCATION = `
    error_page 404 /error.html;
    location / {
      # Only GET and HEAD; a 405 must say so in Allow (RFC 9110 §15.5.6).
      if ($request_method !~ ^(GET|HEAD)$) { add_header Allow "GET, HEAD" always; return 405; }
    }`;

const work = mkdtempSync(path.join(os.tmpdir(), 'socklab-nginx-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function nginxCommand(name: string, location: string): string {
  const template = path.join(work, `${name}.conf.in`);
  writeFileSync(template, nginxConfig(work, location));
  const conf = path.join(work, `${name}-{port}.conf`);
  // -e stderr: nginx opens its error log before reading the config; keep it away from /var/log.
  return `sed -e 's|@PORT@|{port}|g' -e 's|@ROOT@|{root}|g' '${template}' > "${conf}" && exec nginx -e stderr -p '${work}' -c "${conf}"`;
}

describe('real HTTP servers', () => {
  it.skipIf(!nginx)('nginx passes every check of stage 2', async () => {
    const command = nginxCommand('stage2', STAGE_2_LOCATION);
    for (const seed of [1, 2]) {
      const result = await grade(2, { kind: 'shell', command }, seed);
      expect(result.passed, explainFailures(result)).toBe(true);
    }
  });

  it.skipIf(!nginx)('nginx passes every check of stage 3', async () => {
    const command = nginxCommand('stage3', STAGE_3_LOCATION);
    for (const seed of [1, 2]) {
      const result = await grade(3, { kind: 'shell', command }, seed);
      expect(result.passed, explainFailures(result)).toBe(true);
    }
  });

  it.skipIf(!python)('python3 -m http.server passes stage 3 except the 404 page and the HTTP version', async () => {
    const command = 'exec python3 -m http.server {port} --bind 127.0.0.1 --directory {root}';
    for (const seed of [1, 2]) {
      const result = await grade(3, { kind: 'shell', command }, seed);
      expect(failedIds(result).sort(), explainFailures(result)).toEqual(['3.14', '3.9']);
      // It fails those two for the right reasons.
      const byId = (id: string) => result.checks.find((c) => c.id === id)!;
      expect(byId('3.9').failure?.summary.en).toMatch(/is not the bytes of error\.html|Content-Length is \d+, but error\.html is/);
      expect(byId('3.14').failure?.summary.en).toMatch(/the status line says HTTP\/1\.0/);
    }
  });
});
