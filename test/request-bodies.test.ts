/**
 * Stage 7's own tests (solution, skeleton and fixtures are covered for every stage by
 * test/stages.test.ts):
 * - a correct server written another way — Python asyncio, one coroutine per connection, through
 *   --cmd — passes every check, teacher-only included: the checks judge the wire and the disk, not
 *   the model solution's style;
 * - nginx with its WebDAV module passes the checks about storing uploads, and fails exactly the ones
 *   its design puts out of reach (listed below, and in the exercise README);
 * - failures carry what a learner needs to act: a replay command that works, the bytes compared.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explainFailures, failedIds, fixtureFile, grade, has, repoRoot } from './helpers.ts';

const SLUG = '07-request-bodies';

describe('stage 7: correct servers in other styles', () => {
  it.skipIf(!has('python3'))('a server in Python (asyncio, through --cmd) passes every check of stage 7', async () => {
    const script = path.join(repoRoot, 'test', 'fixtures', 'python', 'request-bodies.py');
    for (const seed of [1, 2]) {
      const r = await grade(7, { kind: 'shell', command: `exec python3 ${script} {port}` }, seed, { includeTeacherOnly: true });
      expect(r.passed, `seed ${seed}:\n${explainFailures(r)}`).toBe(true);
    }
  });

  const nginx = has('nginx');
  if (!nginx) console.warn('SKIPPED: nginx is not installed (apt-get install nginx-light lacks the dav module: use nginx or nginx-full)');
  const work = mkdtempSync(path.join(os.tmpdir(), 'socklab-nginx7-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /**
   * nginx storing uploads with ngx_http_dav_module. What it cannot do, and so fails:
   *   7.4  it stores a name that is not UTF-8 after decoding (%E4%BD) — file names are bytes to it
   *   7.5–7.7, the form in 7.10 and 7.13, 415 in 7.14   there is no POST /form: no form → JSON in nginx
   *   7.8  a PUT without Content-Length gets 500 (and 100 Continue first, in 7.14), not 411
   *   7.11 after 413 it reads and discards the rest of the body (lingering) instead of closing
   *   7.12 it accepts chunked uploads (this stage answers them 501)
   */
  const NGINX_FAILS = ['7.4', '7.5', '7.6', '7.7', '7.8', '7.10', '7.11', '7.12', '7.13', '7.14'];

  function nginxCommand(): string {
    const conf = `
daemon off;
master_process on;
worker_processes 1;
user root;
pid ${work}/nginx-@PORT@.pid;
error_log stderr warn;
events { worker_connections 256; }
http {
  include /etc/nginx/mime.types;
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
  client_body_timeout 5s;
  client_max_body_size 10m;
  # A PUT whose decoded path left /uploads/ ("..%2F", "%2E%2E") is normalised by nginx before any
  # location sees it: tell it by the request line as sent, and refuse it with 400.
  map "$request_method $request_uri" $bad_upload { default 0; "~^PUT /uploads/" 1; }
  server {
    listen 127.0.0.1:@PORT@;
    root @ROOT@;
    index index.html;
    error_page 404 /error.html;
    location / {
      if ($bad_upload) { return 400; }
      if ($request_method !~ ^(GET|HEAD)$) { add_header Allow "GET, HEAD" always; return 405; }
    }
    location ^~ /uploads/ {
      # One plain name: PUT stores it (creating uploads/ if needed) through a temporary file.
      location ~ ^/uploads/[^/]+$ {
        dav_methods PUT;
        create_full_put_path on;
        if ($request_method !~ ^(GET|HEAD|PUT)$) { add_header Allow "GET, HEAD, PUT" always; return 405; }
      }
      if ($request_method = PUT) { return 400; }
    }
  }
}
`;
    const template = path.join(work, 'stage7.conf.in');
    writeFileSync(template, conf);
    const out = path.join(work, 'stage7-{port}.conf');
    return `sed -e 's|@PORT@|{port}|g' -e 's|@ROOT@|{root}|g' '${template}' > "${out}" && exec nginx -e stderr -p '${work}' -c "${out}"`;
  }

  it.skipIf(!nginx)('nginx with WebDAV passes the checks about storing uploads, and fails only where its design differs', async () => {
    const r = await grade(7, { kind: 'shell', command: nginxCommand() }, 1);
    expect(failedIds(r), explainFailures(r)).toEqual(NGINX_FAILS);
  });
});

describe('stage 7: what a failure gives the learner', () => {
  it('bytes stored wrong come with a byte diff, a diagnosis and a curl line that replays the upload', async () => {
    const r = await grade(7, fixtureFile(SLUG, 'body-read-as-text.ts'), 3, { only: ['7.1'] });
    const f = r.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/became EF BF BD/);
    expect(f.summary.zh).toMatch(/EF BF BD/);
    expect(`${f.diff?.expectedRow}\n${f.diff?.receivedRow}`).toMatch(/ef\s+bf\s+bd/);
    expect(f.reproduce).toMatch(/^head -c \d+ \/dev\/urandom > body1\.bin && curl -sv -T body1\.bin http:\/\/127\.0\.0\.1:9000\/uploads\/\S+$/);
  });

  it('a refusal that does not come in time is replayed with the head and only part of the body', async () => {
    const r = await grade(7, fixtureFile(SLUG, 'reads-body-before-413.ts'), 3, { only: ['7.11'] });
    const f = r.checks[0]!.failure!;
    expect(f.kind).toBe('hung');
    // The replay sends the head and 32 KiB, never the 10 MiB, and says when the server closes.
    expect(f.reproduce).toMatch(/Content-Length: \d{8,}.*Buffer\.alloc\(32768,120\).*the server closed the connection/);
  });

  it('a form answered out of order shows both orders, in English and in Chinese', async () => {
    const r = await grade(7, fixtureFile(SLUG, 'repeated-name-moves.ts'), 3, { only: ['7.6'] });
    const f = r.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/the right fields in the wrong order: ("[^"]+", )+"[^"]+" instead of ("[^"]+", )+"[^"]+"/);
    expect(f.summary.zh).toMatch(/字段都对，顺序错了：.*应该是/);
    expect(f.hint?.en).toMatch(/keeps its first place/);
  });
});
