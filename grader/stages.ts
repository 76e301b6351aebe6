/**
 * The one list of stages: number, folder, title and checks. Everything else — the CLI, progress,
 * hints, the student edition — is derived from here. Adding a stage is one line below.
 */
import { t } from './i18n.ts';
import type { Stage } from './types.ts';
import { checks as tcpEcho } from './checks/01-tcp-echo.ts';
import { checks as fixedPage, prepareRoot as fixedPageRoot } from './checks/02-fixed-page.ts';
import { checks as routing, prepareRoot as routingRoot } from './checks/03-routing.ts';
import { checks as messageFraming } from './checks/04-message-framing.ts';

export const stages: Stage[] = [
  {
    number: 1,
    slug: '01-tcp-echo',
    title: t('TCP echo', 'TCP 回显'),
    checks: tcpEcho,
    hints: [
      t(
        'Watch it misbehave first: run PORT=9000 npx tsx exercises/01-tcp-echo/server.ts in one terminal and nc 127.0.0.1 9000 in another, then type a line. The skeleton hangs up at once — that socket.end() is the line to replace.',
        '先亲眼看看它哪里不对：在一个终端运行 PORT=9000 npx tsx exercises/01-tcp-echo/server.ts，在另一个终端运行 nc 127.0.0.1 9000，然后随便输入一行。骨架代码一连上就挂断了——要替换的就是那行 socket.end()。',
      ),
      t(
        "The function you give net.createServer() runs once per client, and its socket is that one client's connection. Every 'data' event hands you a Buffer of whatever bytes arrived; echoing means writing that same Buffer back: socket.on('data', (chunk) => socket.write(chunk)).",
        "传给 net.createServer() 的函数每来一个客户端就执行一次，参数 socket 就是和这个客户端的连接。每次 'data' 事件都会给你一个 Buffer，里面是刚到达的字节；回显就是把这个 Buffer 原样写回去：socket.on('data', (chunk) => socket.write(chunk))。",
      ),
      t(
        "Bytes, not text: don't call chunk.toString(), socket.setEncoding() or add strings together. Those decode the bytes as UTF-8, and anything that is not valid UTF-8 (check 1.2 sends all 256 byte values) comes back changed.",
        '处理的是字节，不是文本：不要调用 chunk.toString()、socket.setEncoding()，也不要拼接字符串。这些操作会按 UTF-8 解码，凡是不合法的 UTF-8 字节（检查 1.2 会发送全部 256 种字节值）回来时就变了样。',
      ),
      t(
        "A client that resets its connection makes its socket emit 'error' (ECONNRESET). An 'error' event with no listener crashes the whole process, so every socket needs socket.on('error', …) — log it and let that one connection go.",
        "客户端重置连接时，它的 socket 会触发 'error' 事件（ECONNRESET）。没有监听器的 'error' 事件会让整个进程崩溃，所以每个 socket 都要加上 socket.on('error', …)——记一条日志，放弃这一个连接就好。",
      ),
      t(
        "When the client half-closes (sends FIN), 'end' fires. Finish sending what you still owe, then send your own FIN with socket.end() — Node does exactly this for you by default (allowHalfOpen is false). Never socket.destroy() on 'end': bytes still queued for the client are thrown away.",
        "客户端半关闭（发出 FIN）时会触发 'end' 事件。先把还欠对方的数据发完，再用 socket.end() 发出你自己的 FIN——Node 默认（allowHalfOpen 为 false）就会替你这么做。千万不要在 'end' 里调用 socket.destroy()：还排在队列里等着发给客户端的字节会被直接丢掉。",
      ),
      t(
        "Backpressure: socket.write() returns false when the client reads slower than you write. Then pause reading (socket.pause()) until 'drain', and resume. socket.pipe(socket) does all of it in one line — echo, backpressure, and ending your side after the client's FIN — and still needs the 'error' listener.",
        "背压：客户端读得比你写得慢时，socket.write() 会返回 false。这时先暂停读取（socket.pause()），等到 'drain' 事件再恢复。socket.pipe(socket) 一行就全包了——回显、背压，以及在客户端发来 FIN 后关闭你这一侧——但仍然需要那个 'error' 监听器。",
      ),
    ],
  },
  {
    number: 2,
    slug: '02-fixed-page',
    title: t('A fixed page over HTTP', '用 HTTP 返回固定页面'),
    checks: fixedPage,
    prepareRoot: fixedPageRoot,
    hints: [
      t(
        "Watch it misbehave first: run PORT=9000 npx tsx exercises/02-fixed-page/server.ts in one terminal and curl -v http://127.0.0.1:9000/ in another. curl shows the request it sends (lines starting with >) and what came back (<). The skeleton hangs up at once — that socket.end() is the line to replace.",
        '先亲眼看看它哪里不对：在一个终端运行 PORT=9000 npx tsx exercises/02-fixed-page/server.ts，在另一个终端运行 curl -v http://127.0.0.1:9000/。curl 会显示它发出的请求（以 > 开头的行）和收到的内容（以 < 开头的行）。骨架代码一连上就挂断了——要替换的就是那行 socket.end()。',
      ),
      t(
        'A response is text lines, each ending in "\\r\\n", then the body: "HTTP/1.1 200 OK\\r\\n" + "Content-Type: text/html; charset=utf-8\\r\\n" + "Content-Length: N\\r\\n" + "\\r\\n", followed by the page. The empty line (the second "\\r\\n" in a row) is what tells the client the headers are over.',
        '响应由若干行文本组成，每行以 "\\r\\n" 结尾，后面跟着正文："HTTP/1.1 200 OK\\r\\n" + "Content-Type: text/html; charset=utf-8\\r\\n" + "Content-Length: N\\r\\n" + "\\r\\n"，再接上页面内容。那个空行（连续的第二个 "\\r\\n"）告诉客户端：头部到此结束。',
      ),
      t(
        "Content-Length counts bytes, and the page has Chinese in it (3 bytes a character in UTF-8). Read the file without an encoding — fs.readFile(file, (err, page) => …) gives a Buffer — and use page.length. Read it inside the handler, for every request, from path.join(process.env.STATIC_DIR ?? 'static', 'index.html').",
        "Content-Length 计算的是字节数，而页面里有中文（UTF-8 中每个字 3 个字节）。读文件时不要指定编码——fs.readFile(file, (err, page) => …) 得到的是 Buffer——然后用 page.length。在处理函数里、每个请求都从 path.join(process.env.STATIC_DIR ?? 'static', 'index.html') 读一次。",
      ),
      t(
        "Don't answer on the first 'data' event: that is the seed's single recv(4096) in Node clothes. Keep a Buffer per connection (a variable inside the connection handler), append every chunk with Buffer.concat, and answer once it includes \"\\r\\n\\r\\n\". If it grows past 16 KiB without one, answer 400 Bad Request and close.",
        "不要在第一次 'data' 事件时就回应：那就是种子代码里只调用一次 recv(4096) 的 Node 版。给每个连接准备一个 Buffer（连接处理函数里的一个变量），每来一块就用 Buffer.concat 追加进去，等它包含 \"\\r\\n\\r\\n\" 时再回应。如果超过 16 KiB 还没有出现，就回应 400 Bad Request 并关闭连接。",
      ),
      t(
        "Clients come and go: keep net.createServer({ allowHalfOpen: true }, …) so a client's FIN right after its request (printf … | nc -N) does not end your side before you have answered; in 'end', call socket.end() if no request arrived; close with socket.end(response) after answering; and keep the socket.on('error', …) listener from stage 1.",
        "客户端来来去去：保留 net.createServer({ allowHalfOpen: true }, …)，这样客户端在请求之后立刻发来 FIN（printf … | nc -N 就是这样）时，你这一侧不会在回应之前就被关闭；在 'end' 里，如果还没收到完整请求，就调用 socket.end()；回应时用 socket.end(response) 发完即关；还有第 1 关学过的 socket.on('error', …) 监听器也要留着。",
      ),
    ],
  },
  {
    number: 3,
    slug: '03-routing',
    title: t('Routing: files by path, and 404', '路由：按路径返回文件，以及 404'),
    checks: routing,
    prepareRoot: routingRoot,
    hints: [
      t(
        "Start from your stage 2 server: copy its head-collecting code into exercises/03-routing/server.ts. Then ask by hand for what the grader asks for: curl -v http://127.0.0.1:9000/docs/ , curl -v 'http://127.0.0.1:9000/docs/notes%20and%20tips.txt' , curl -v http://127.0.0.1:9000/nope.html .",
        "从你的第 2 关服务器开始：把收集请求头的代码复制到 exercises/03-routing/server.ts 里。然后亲手请求评测器会请求的东西：curl -v http://127.0.0.1:9000/docs/ 、curl -v 'http://127.0.0.1:9000/docs/notes%20and%20tips.txt' 、curl -v http://127.0.0.1:9000/nope.html 。",
      ),
      t(
        "The request line is the head up to the first \"\\r\\n\". Split it on ' ': exactly three parts — method, target, version — or 400 Bad Request. The target must start with '/' and the version with 'HTTP/1.'. A method other than GET or HEAD gets 405 Method Not Allowed with an Allow: GET, HEAD header.",
        "请求行就是请求头里第一个 \"\\r\\n\" 之前的部分。按 ' ' 拆分：必须正好三部分——方法、目标、版本——否则回应 400 Bad Request。目标必须以 '/' 开头，版本必须以 'HTTP/1.' 开头。GET 和 HEAD 以外的方法回应 405 Method Not Allowed，并带上 Allow: GET, HEAD 头部。",
      ),
      t(
        "From target to file: cut at the first '?' or '#', then decodeURIComponent once (inside try/catch — '%zz' throws: answer 400). A path that ends in '/' means that folder's index.html. The Content-Type comes from path.extname(file): a small table, and application/octet-stream for anything not in it.",
        "从目标到文件：先在第一个 '?' 或 '#' 处截断，再调用一次 decodeURIComponent（放在 try/catch 里——'%zz' 会抛异常：回应 400）。以 '/' 结尾的路径表示这个文件夹里的 index.html。Content-Type 根据 path.extname(file) 决定：建一张小表，表里没有的一律用 application/octet-stream。",
      ),
      t(
        "Stay inside the root, whatever the spelling: const root = path.resolve(STATIC_DIR); const file = path.join(root, decoded); then refuse with 403 unless file === root || file.startsWith(root + path.sep). Check after decoding and joining, never by looking for '..' in the raw target: %2e%2e is '..' too.",
        "无论路径怎么写，都不能离开根目录：const root = path.resolve(STATIC_DIR); const file = path.join(root, decoded); 然后，除非 file === root || file.startsWith(root + path.sep)，否则回应 403。要在解码并拼接之后再检查，不要只在原始目标里找 '..'：%2e%2e 也是 '..'。",
      ),
      t(
        "Sending: const handle = await fs.open(file) (fails → 404 with the bytes of error.html), const stat = await handle.stat() (not stat.isFile() → 404 too), write the head with Content-Length: stat.size, then pipeline(handle.createReadStream(), socket, cb) — it streams with backpressure and ends the socket after the last byte. For HEAD, write the same head and just socket.end().",
        "发送：const handle = await fs.open(file)（失败 → 404，正文是 error.html 的字节），const stat = await handle.stat()（不是 stat.isFile() → 同样 404），写出带 Content-Length: stat.size 的头部，然后 pipeline(handle.createReadStream(), socket, cb)——它会按背压以流的方式发送，并在最后一个字节之后结束 socket。如果是 HEAD，写出同样的头部，然后直接 socket.end()。",
      ),
    ],
  },
  {
    number: 4,
    slug: '04-message-framing',
    title: t('Message framing', '消息分帧'),
    checks: messageFraming,
    hints: [
      t(
        "Watch it misbehave first: run PORT=9000 npx tsx exercises/04-message-framing/server.ts, then in another terminal printf '\\000\\000\\000\\003abc' | nc -N 127.0.0.1 9000 | xxd. A working server answers 0000 0003 6362 61: the same length, then \"cba\". The skeleton hangs up at once — that socket.end() is the line to replace.",
        "先亲眼看看它哪里不对：运行 PORT=9000 npx tsx exercises/04-message-framing/server.ts，再在另一个终端运行 printf '\\000\\000\\000\\003abc' | nc -N 127.0.0.1 9000 | xxd。正确的服务器会回复 0000 0003 6362 61：长度不变，后面是 \"cba\"。骨架代码一连上就挂断了——要替换的就是那行 socket.end()。",
      ),
      t(
        "A 'data' event is not a message. It may hold half a frame, exactly one, or three and a bit. Give each connection its own buffer (a variable inside the connection handler) and append every chunk to it: Buffer.concat([pending, chunk]).",
        "一次 'data' 事件不等于一条消息。它可能只有半个帧，可能正好一个，也可能是三个多一点。给每个连接准备一个自己的缓冲区（连接回调里的一个变量），每收到一块就追加进去：Buffer.concat([pending, chunk])。",
      ),
      t(
        'After appending, loop: while the buffer holds at least 4 bytes, read N = pending.readUInt32BE(0); if it holds fewer than 4 + N bytes, stop and wait for more; otherwise take the payload (pending.subarray(4, 4 + N)), answer it, and cut the frame off the front (pending = pending.subarray(4 + N)). A while, not an if: several frames can be waiting.',
        '追加之后循环处理：只要缓冲区里至少有 4 字节，就读出 N = pending.readUInt32BE(0)；如果不足 4 + N 字节，就停下来等更多数据；否则取出负载（pending.subarray(4, 4 + N)），回复它，再把这个帧从缓冲区前面切掉（pending = pending.subarray(4 + N)）。要用 while 而不是 if：可能有好几个帧在排队。',
      ),
      t(
        'The reply: a 4-byte header made with Buffer.alloc(4) and header.writeUInt32BE(N) — big-endian, and N counts the payload only — followed by Buffer.from(payload).reverse(). An empty payload (N = 0) is a complete frame too: answer 00 00 00 00.',
        '回复：用 Buffer.alloc(4) 和 header.writeUInt32BE(N) 做出 4 字节头部——大端序，N 只计算负载——后面跟上 Buffer.from(payload).reverse()。空负载（N = 0）也是完整的帧：回复 00 00 00 00。',
      ),
      t(
        "The limit: check N as soon as you have read it, before waiting for the payload. If N > 1 048 576, stop reading (socket.pause()) and close with socket.destroySoon(), which still sends the replies you already wrote. Never throw: one bad client must not stop the server.",
        "上限：一读出 N 就检查，不要等负载。如果 N > 1 048 576，就停止读取（socket.pause()），并用 socket.destroySoon() 关闭连接，它仍会把已经写出的回复发出去。不要抛异常：一个捣乱的客户端不能让服务器停下来。",
      ),
      t(
        "Half-close: when the client sends FIN, 'end' fires. Every complete frame has been answered by then if you reply inside the 'data' handler; whatever is left in the buffer is an incomplete frame — drop it. Node then ends your side for you (allowHalfOpen is false by default). Add socket.on('error', …) as in stage 1, and pause on write() === false until 'drain'.",
        "半关闭：客户端发送 FIN 时会触发 'end'。如果你在 'data' 回调里就回复，那时所有完整的帧都已经回复过了；缓冲区里剩下的是残缺的帧——丢掉即可。然后 Node 会替你关闭这一侧（allowHalfOpen 默认为 false）。像第 1 关一样加上 socket.on('error', …)，并在 write() 返回 false 时暂停读取，直到 'drain'。",
      ),
    ],
  },
];

export function findStage(n: number): Stage | undefined {
  return stages.find((s) => s.number === n);
}
