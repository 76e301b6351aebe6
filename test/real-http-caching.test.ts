/**
 * A real web server must pass stage 8 through --cmd, within its documented deviations. nginx has
 * all of it built in — Date, Last-Modified, ETag, 304 for If-None-Match and If-Modified-Since (all
 * three date formats), the 301 for a folder without its slash (query kept) — once configured for the
 * contract: `if_modified_since before` (its default, `exact`, gives 304 only for the very date it
 * sent), `absolute_redirect off` (a Location path rather than http://host/path; the grader accepts
 * either), and the site's _redirects turned into `location =` blocks when the server starts (by a
 * small script that reads the file by the contract's rules: the first rule for a path wins).
 *
 * Its one deviation: when a request carries both If-None-Match and If-Modified-Since, nginx answers
 * 304 only if both conditions hold, where RFC 9110 §13.2.2 lets If-None-Match decide alone — so a
 * matching tag with an old date gets a 200 (check 8.8, and the teacher-only sweep 8.16 whenever it
 * draws that combination).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explainFailures, failedIds, grade, has } from './helpers.ts';

const nginx = has('nginx');
if (!nginx) console.warn('SKIPPED: nginx is not installed (apt-get install nginx-light); .ci/run installs it');

const work = mkdtempSync(path.join(os.tmpdir(), 'socklab-nginx8-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Reads a _redirects file by the contract's rules and prints one nginx location per rule. */
const GENERATOR = `
import { readFileSync } from 'node:fs';
const seen = new Set();
let text = '';
try { text = readFileSync(process.argv[2], 'utf8'); } catch {}
for (const raw of text.split('\\n')) {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) continue;
  const fields = line.split(/\\s+/);
  if (fields.length < 2 || fields.length > 3) continue;
  const [from, to, code = '302'] = fields;
  if (!from.startsWith('/') || (code !== '301' && code !== '302') || seen.has(from)) continue;
  seen.add(from);
  // $is_args$args: the query goes along, as the contract asks.
  console.log('location = ' + from + ' { return ' + code + ' "' + to + '$is_args$args"; }');
}
`;

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
  keepalive_timeout 5s;
  client_header_timeout 5s;
  # 304 when the file is not newer than If-Modified-Since, not only when the dates are equal.
  if_modified_since before;
  # Location: /folder/ rather than http://127.0.0.1:PORT/folder/ (both are right; this one is shorter).
  absolute_redirect off;
  server {
    listen 127.0.0.1:@PORT@;
    root @ROOT@;
    index index.html;
    error_page 404 /error.html;
    include @REDIRECTS@;
    location / {
      if ($request_method !~ ^(GET|HEAD)$) { add_header Allow "GET, HEAD" always; return 405; }
    }
  }
}
`;
}

function nginxCommand(): string {
  const template = path.join(work, 'stage8.conf.in');
  writeFileSync(template, config());
  const generator = path.join(work, 'redirects-to-nginx.mjs');
  writeFileSync(generator, GENERATOR);
  const conf = path.join(work, 'stage8-{port}.conf');
  const locations = path.join(work, 'redirects-{port}.conf');
  return (
    `node '${generator}' '{root}/_redirects' > "${locations}" && ` +
    `sed -e 's|@PORT@|{port}|g' -e 's|@ROOT@|{root}|g' -e "s|@REDIRECTS@|${locations}|g" '${template}' > "${conf}" && ` +
    `exec nginx -e stderr -p '${work}' -c "${conf}"`
  );
}

describe('a real HTTP server, caching and redirecting', () => {
  it.skipIf(!nginx)('nginx, configured for the contract, passes stage 8 except where If-None-Match must decide alone (8.8, 8.16)', async () => {
    const command = nginxCommand();
    for (const seed of [1, 2, 3]) {
      const result = await grade(8, { kind: 'shell', command }, seed, { includeTeacherOnly: true });
      const failed = failedIds(result);
      expect(failed, explainFailures(result)).toContain('8.8');
      expect(failed.filter((id) => id !== '8.8' && id !== '8.16'), explainFailures(result)).toEqual([]);
      // And for that reason only: a request with both conditions, whose tag matches, got a 200
      // (confirmed on its own if it first failed beside a waiting check, which the report notes).
      for (const id of failed) {
        const f = result.checks.find((c) => c.id === id)!.failure!;
        expect(f.summary.en).toMatch(/\((?=[^)]*If-None-Match: )(?=[^)]*If-Modified-Since: )[^)]*\).*: the status is 200 OK, expected 304 Not Modified( \(run again on its own, on a restarted server\))?$/);
      }
    }
  });
});
