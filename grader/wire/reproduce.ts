/**
 * Commands a learner pastes to send the grader's bytes to a server run by hand on port 9000.
 *
 * They are node one-liners, because Node is the one program every machine that runs the kit has:
 * `nc -N` exists only in OpenBSD netcat (ncat, BusyBox and macOS nc lack it or mean something else
 * by it), and `xxd` comes with vim. The client connects, writes the bytes, half-closes (FIN), and
 * prints what comes back: as text when a chunk is valid UTF-8 without control characters (an HTTP
 * response, an echo of a line), otherwise as escaped bytes (`\x00\x00\x00\x03cba`). A server that
 * is not running shows as node's own "connect ECONNREFUSED 127.0.0.1:9000".
 *
 * Quoting: the whole program sits in single quotes, so it must hold no single quote, and it holds
 * no `!` (csh expands it even there) and no `\\` (fish's single quotes shorten it). Bytes below 0x80
 * go in a JSON string literal (readable: "GET / HTTP/1.1\r\n…"), with `'`, `!` and `\` written as
 * \u0027, \u0021 and \u005c; other bytes go in base64. sh, dash, bash and zsh pass it as is.
 */

/**
 * What the client does with each chunk it receives: text that decodes as UTF-8 without control
 * characters or replacement characters (bytes that are not UTF-8 decode to U+FFFD) is printed as
 * it is, anything else escaped byte by byte.
 */
const PRINT =
  'd=>{const t=d.toString();process.stdout.write(/[\\0-\\b\\v\\f\\x0e-\\x1f\\x7f\\ufffd]/.test(t)?' +
  '[...d].map(b=>b>31&&b<127&&b-92?String.fromCharCode(b):"\\x5cx"+(b+256).toString(16).slice(1)).join(""):t)}';

/** A JavaScript expression for these bytes that `socket.write` sends unchanged, safe inside '…'. */
export function jsBytes(buf: Buffer): string {
  if (buf.every((b) => b < 0x80)) {
    return JSON.stringify(buf.toString('latin1'))
      .replaceAll('\\\\', '\\u005c')
      .replaceAll("'", '\\u0027')
      .replaceAll('!', '\\u0021')
      .replaceAll('\x7f', '\\u007f');
  }
  return `Buffer.from("${buf.toString('base64')}","base64")`;
}

/**
 * `node -e '…'`: connect to 127.0.0.1:9000, send `writes` (one write each, `gapMs` apart, so a server
 * sees the same boundaries as far as TCP keeps them), half-close, print what comes back.
 */
export function nodeClient(writes: readonly Buffer[], gapMs = 20): string {
  return nodeCommand(writes.map(jsBytes), { gapMs });
}

/**
 * The same client, writing JavaScript expressions (strings or Buffers) rather than bytes: for
 * large but regular inputs, `"GET /"+"a".repeat(102400)`. `halfClose: false` leaves the sending
 * side open after the last write, for exchanges where the grader sent no FIN either.
 */
export function nodeCommand(writeExprs: readonly string[], opts: { gapMs?: number; halfClose?: boolean } = {}): string {
  const last = opts.halfClose === false ? 'write' : 'end';
  const head = 's=require("net").connect(9000,"127.0.0.1",';
  const tail = `.on("data",${PRINT})`;
  if (writeExprs.length === 1) return `node -e 'const ${head}()=>s.${last}(${writeExprs[0]}))${tail}'`;
  const stop = opts.halfClose === false ? '0' : 's.end()';
  return `node -e 'const w=[${writeExprs.join(',')}],${head}function go(){w.length?(s.write(w.shift()),setTimeout(go,${opts.gapMs ?? 20})):${stop}})${tail}'`;
}
