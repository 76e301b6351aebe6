/**
 * What failure reports say beyond the words each fixture's header declares (test/stages.test.ts):
 * the transcript, expectation, hint and a command to reproduce; binary differences with a hex
 * window; parse errors with a caret; start errors with their bound; crashes with the server's own
 * output; and which checks a bug is — and is not — blamed on.
 */
import { describe, expect, it } from 'vitest';
import { exerciseFile, fixtureFile, grade } from './helpers.ts';

describe('stage 1 (TCP echo) reports', () => {
  const SLUG = '01-tcp-echo';

  it('a server that exits whenever a client leaves has each crash charged to the check whose client left', async () => {
    // exits-when-client-leaves echoes correctly and dies as each check's client goes: every check
    // crashes it. A single-connection check is told that its client's leaving did it (not blamed
    // for the next check's troubles, nor given points by a re-run); 1.7 sees it mid-check.
    const result = await grade(1, fixtureFile(SLUG, 'exits-when-client-leaves.ts'), 3);
    expect(result.score).toBe(0);
    expect(result.crashes).toBe(result.checks.length);
    for (const id of ['1.1', '1.2', '1.4', '1.6']) {
      expect(result.checks.find((c) => c.id === id)!.failure!.summary.en, id).toMatch(/^the server crashed: it exited with code 0 when this check's clients closed their connections/);
    }
    expect(result.checks.find((c) => c.id === '1.7')!.failure!.summary.en).toMatch(/^the server crashed: it exited with code 0 during this check/);
  });

  it('a server that never listens is reported as such, with its exit-free wait bounded', async () => {
    const started = Date.now();
    const result = await grade(1, fixtureFile(SLUG, 'never-listens.ts'), 1, { listenTimeoutMs: 1500 });
    expect(result.startError?.kind).toBe('never-listened');
    expect(result.startError?.text.en).toMatch(/did not start listening on port \d+ within 1.5 s — does it read process.env.PORT/);
    expect(result.score).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('failure details carry the transcript, the expectation, a hint and a reproduce command', async () => {
    const result = await grade(1, fixtureFile(SLUG, 'adds-newline.ts'), 5, { only: ['1.1'] });
    const f = result.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/after the expected bytes, the server sent 1 more: "\\n"/);
    expect(f.wire?.writes).toBe(1);
    expect(f.wire?.sentPreview).toMatch(/^"hello, socklab [a-z]+\\n"$/);
    expect(f.hint?.en).toMatch(/no added newline/);
    expect(f.reproduce).toMatch(/^node -e 'const s=require\("net"\)\.connect\(9000,"127\.0\.0\.1",\(\)=>s\.end\("hello, socklab [a-z]+\\n"\)\).*'$/);
  });

  it('a binary mismatch names the first differing offset with a hex window', async () => {
    const result = await grade(1, fixtureFile(SLUG, 'decodes-as-text.ts'), 5, { only: ['1.2'] });
    const f = result.checks[0]!.failure!;
    expect(f.diff).toMatchObject({ expectedLength: 256, offset: expect.any(Number) });
    expect(f.diff!.receivedLength).toBeGreaterThan(256);
    expect(f.diff!.receivedRow).toMatch(/\[ef\]/); // U+FFFD, the replacement character, starts with ef
  });
});

describe('stage 2 (a fixed page over HTTP) reports', () => {
  const SLUG = '02-fixed-page';

  it('the untouched skeleton is told it closed without any response', async () => {
    const result = await grade(2, exerciseFile(SLUG), 1, { only: ['2.1'] });
    expect(result.checks[0]?.failure?.summary.en).toMatch(/closed the connection without sending any response/);
  });

  it('a bare LF in the response is pointed at with a caret, and HTTP\'s expectation is named', async () => {
    const result = await grade(2, fixtureFile(SLUG, 'bare-lf.ts'), 5, { only: ['2.1'] });
    const f = result.checks[0]!.failure!;
    expect(f.caret?.line).toMatch(/^"HTTP\/1\.1 200 OK\\nContent-Type/);
    // The caret sits under the backslash of the first \n.
    expect(f.caret!.caret.length - 1).toBe(f.caret!.line.indexOf('\\n'));
    expect(f.caret?.note.en).toMatch(/expected CRLF \("\\r\\n"\) at the end of the status line; got a bare LF/);
    expect(f.caret?.note.zh).toMatch(/CRLF/);
  });

  it('a Content-Length counted in characters is called exactly that', async () => {
    const result = await grade(2, fixtureFile(SLUG, 'content-length-in-characters.ts'), 5, { only: ['2.3'] });
    const f = result.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/Content-Length is (\d+), but index\.html is (\d+) bytes; \d+ more bytes followed the body/);
    expect(f.hint?.en).toMatch(/is the number of characters in index\.html, not bytes/);
  });

  it('failures carry a paste-able reproduce command with the exact bytes', async () => {
    const plain = await grade(2, fixtureFile(SLUG, 'no-charset.ts'), 5, { only: ['2.2'] });
    expect(plain.checks[0]!.failure?.reproduce).toMatch(/^node -e '.*s\.end\("GET \/ HTTP\/1\.1\\r\\nHost: localhost\\r\\n.*\\r\\n\\r\\n"\).*'$/);
    // A request split into pieces is reproduced piece by piece.
    const split = await grade(2, fixtureFile(SLUG, 'answers-after-request-line.ts'), 5, { only: ['2.7'] });
    expect(split.checks[0]!.failure?.reproduce).toMatch(/^node -e '.*setTimeout\(r,300\).*'$/);
  });

  it('an over-long head that a server keeps buffering is reported as a hang with its size', async () => {
    const result = await grade(2, fixtureFile(SLUG, 'no-head-limit.ts'), 5, { only: ['2.11'] });
    const f = result.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/we sent a request line of 100 KiB with no end \(\d+ bytes\); 2\.5 s later the server had neither answered nor closed/);
    expect(f.reproduce).toMatch(/^node -e '.*"GET \/"\+"a"\.repeat\(102400\).*'$/);
  });
});

describe('stage 3 (routing) reports', () => {
  const SLUG = '03-routing';

  it('a leaked secret is named as such, with the attempt that leaked it and the fix for that spelling', async () => {
    const prefix = await grade(3, fixtureFile(SLUG, 'prefix-check-without-separator.ts'), 8, { only: ['3.13'] });
    const f = prefix.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/^GET \/(\.\.|%2e%2e)\/[a-z]+-site-private\/secret-[a-z]+\.txt returned the contents of \/.+, a file OUTSIDE the document root/);
    expect(f.hint?.en).toMatch(/root \+ path\.sep/);
    const encoded = await grade(3, fixtureFile(SLUG, 'checks-dots-before-decoding.ts'), 8, { only: ['3.13'] });
    expect(encoded.checks[0]!.failure?.summary.en).toMatch(/^GET \/%2e%2e\/secret-[a-z]+\.txt returned the contents of/);
    expect(encoded.checks[0]!.failure?.hint?.en).toMatch(/decode first/);
  });

  it('a crash is reported with the exception the server printed', async () => {
    const result = await grade(3, fixtureFile(SLUG, 'crashes-on-bad-escape.ts'), 8, { only: ['3.13'] });
    const f = result.checks[0]!.failure!;
    expect(f.summary.en).toMatch(/^the server crashed/);
    expect(f.serverOutput).toMatch(/URIError: URI malformed/);
  });
});

describe('stage 4 (message framing) reports', () => {
  it('the untouched skeleton is pointed at the line to replace', async () => {
    const r = await grade(4, exerciseFile('04-message-framing'), 1, { only: ['4.1'] });
    expect(r.checks[0]!.failure!.hint!.en).toContain('socket.end()');
  });
});
