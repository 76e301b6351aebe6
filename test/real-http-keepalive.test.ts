/**
 * A real web server must pass stage 6 through --cmd: the keep-alive checks judge HTTP/1.1 on the
 * wire, so a server that gets persistent connections right passes, whatever it is written in.
 * nginx, configured for the stage's contract (idle connections closed after 5 s, the site's 404
 * page, 405 for anything but GET and HEAD), passes every check, the teacher-only one included.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explainFailures, grade, has } from './helpers.ts';

const nginx = has('nginx');
if (!nginx) console.warn('SKIPPED: nginx is not installed (apt-get install nginx-light); .ci/run installs it');

const work = mkdtempSync(path.join(os.tmpdir(), 'socklab-nginx6-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** nginx as shipped, with the few settings stage 6's contract is about spelled out. */
function config(): string {
  const mime = existsSync('/etc/nginx/mime.types')
    ? 'include /etc/nginx/mime.types;'
    : 'types { text/html html; text/css css; application/javascript js; application/json json; text/plain txt; image/svg+xml svg; image/png png; image/jpeg jpg jpeg; image/gif gif; image/x-icon ico; }';
  return `
daemon off;
master_process on;
worker_processes 1;
user root;
pid ${work}/nginx-@PORT@.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
  ${mime}
  default_type application/octet-stream;
  charset utf-8;
  access_log off;
  client_body_temp_path ${work}/body;
  proxy_temp_path ${work}/proxy;
  fastcgi_temp_path ${work}/fastcgi;
  uwsgi_temp_path ${work}/uwsgi;
  scgi_temp_path ${work}/scgi;
  # The contract: an idle connection stays usable for at least 2 s and is closed within 10 s —
  # between requests (keepalive_timeout) and before or inside a head (client_header_timeout,
  # 60 s by default).
  keepalive_timeout 5s;
  client_header_timeout 5s;
  server {
    listen 127.0.0.1:@PORT@;
    root @ROOT@;
    index index.html;
    error_page 404 /error.html;
    location / {
      # Only GET and HEAD; a 405 must say so in Allow (RFC 9110 §15.5.6).
      if ($request_method !~ ^(GET|HEAD)$) { add_header Allow "GET, HEAD" always; return 405; }
    }
  }
}
`;
}

function nginxCommand(): string {
  const template = path.join(work, 'stage6.conf.in');
  writeFileSync(template, config());
  const conf = path.join(work, 'stage6-{port}.conf');
  // -e stderr: nginx opens its error log before reading the config; keep it away from /var/log.
  return `sed -e 's|@PORT@|{port}|g' -e 's|@ROOT@|{root}|g' '${template}' > "${conf}" && exec nginx -e stderr -p '${work}' -c "${conf}"`;
}

describe('a real HTTP server, persistent', () => {
  it.skipIf(!nginx)('nginx, configured for the contract, passes every check of stage 6', async () => {
    const command = nginxCommand();
    for (const seed of [1, 2]) {
      const result = await grade(6, { kind: 'shell', command }, seed, { includeTeacherOnly: true });
      expect(result.passed, explainFailures(result)).toBe(true);
    }
  });
});
