/**
 * `npm run grade -- --help` and `npm run grade -- --list`: what the grader does, and the stages.
 * Kept apart from cli.ts so that neither loads the engine's reporting.
 */
import { EXIT } from './exit-codes.ts';
import { say, t } from './i18n.ts';
import type { InfoPlan } from './plan.ts';
import { stages } from './stages.ts';
import type { Stage } from './types.ts';

const HELP = t(
  `Usage: npm run grade -- [stage] [options]

  npm run grade                 grade every stage and show your progress
  npm run grade 3               grade stage 3 (exercises/03-*/server.ts)
  npm run grade -- 3 --watch    re-grade stage 3 each time you save (Ctrl-C to stop)
  npm run hint 3                hints for stage 3, one at a time
  npm run -s grade -- 1 --json  flags go after "--" (npm keeps flags before it for itself);
                                -s keeps npm's own lines off stdout, leaving the JSON alone

Options:
  --watch             re-grade whenever a file in the exercise's folder changes; Enter re-grades now
  --cmd "<command>"   grade any program instead of the exercise file; {port} and {root} are
                      substituted, and env PORT and STATIC_DIR are always set
  --file <path>       grade this server file instead of exercises/NN-*/server.ts
  --solution          grade the model solution (not in the student edition)
  --seed <n>          reproduce the random inputs of an earlier run
  --check <ids>       run only these checks, e.g. --check 1.3,1.9
  --json              print one JSON document on stdout and nothing else
  --verbose           show every failure in full
  --lang <lang>       en, zh-CN (Simplified Chinese) or zh-TW (Traditional Chinese) messages
                      (default: from LC_ALL / LC_MESSAGES / LANG)
  --format <f>        terminal (default), json, or github: a Markdown summary to
                      $GITHUB_STEP_SUMMARY and an annotation per failing check (Actions)
  --list              list the stages
  -h, --help          this help

Teachers (docs/teachers.md):
  --class <dir>       grade every student repo in <dir> (each subfolder is one repo)
  --roster <csv>      or the repos listed in a CSV: student id, repo path
  --stages <list>     stages to grade, e.g. 1-3 or 1,3 (default: all)
  --jobs <n>          students graded at once (default: the number of cores)
  --out <dir>         where gradebook.csv, results.json and report.html go (default: grades/<time>)
  --only <ids>        regrade only these students, e.g. --only alice,bob (updates --out)
  --resume            finish an interrupted run: grade the students its --out lacks
  --gradebook <f>     plain (default), canvas, moodle — a comma list; one CSV file each
  --shard <i/n>       grade part i of n of the class (needs --seed); then join the parts with
  --merge <dirs…>     npm run grade -- --merge OUT1 OUT2 … --out DIR

Exit codes: 0 all passed, 1 some check failed, 2 bad command line, 3 the server did not start,
4 the machine is not ready (Node too old, dependencies missing, Windows without WSL), 130 interrupted.`,
  `用法：npm run grade -- [关卡] [选项]

  npm run grade                 评测所有关卡，显示你的进度
  npm run grade 3               评测第 3 关（exercises/03-*/server.ts）
  npm run grade -- 3 --watch    每次保存都重新评测第 3 关（按 Ctrl-C 退出）
  npm run hint 3                第 3 关的提示，一次一条
  npm run -s grade -- 1 --json  选项要写在 "--" 后面（"--" 之前的选项会被 npm 自己拿走）；
                                -s 让 npm 不往标准输出写它自己的行，只留下 JSON

选项：
  --watch             练习文件夹里有文件变化就重新评测；按回车立即重新评测
  --cmd "<命令>"      评测任意程序而不是练习文件；{port} 和 {root} 会被替换，
                      并且总会设置环境变量 PORT 和 STATIC_DIR
  --file <路径>       评测这个服务器文件，而不是 exercises/NN-*/server.ts
  --solution          评测参考答案（学生版没有）
  --seed <n>          复现之前某次运行的随机输入
  --check <编号>      只运行这些检查，例如 --check 1.3,1.9
  --json              在标准输出上只打印一个 JSON 文档
  --verbose           完整显示每一项失败
  --lang <语言>       消息语言：en、zh-CN（简体中文）或 zh-TW（繁体中文）
                      （默认根据 LC_ALL / LC_MESSAGES / LANG 决定）
  --format <格式>     terminal（默认）、json 或 github：把 Markdown 摘要写入
                      $GITHUB_STEP_SUMMARY，并为每项未通过的检查生成注释（Actions）
  --list              列出所有关卡
  -h, --help          显示本帮助

教师（docs/teachers.zh-CN.md）：
  --class <文件夹>    评测 <文件夹> 里的每个学生仓库（每个子文件夹是一个仓库）
  --roster <csv>      或者评测 CSV 中列出的仓库：学号, 仓库路径
  --stages <列表>     要评测的关卡，例如 1-3 或 1,3（默认全部）
  --jobs <n>          同时评测的学生数（默认等于 CPU 核数）
  --out <文件夹>      gradebook.csv、results.json 和 report.html 的输出位置（默认 grades/<时间>）
  --only <编号>       只重新评测这些学生，例如 --only alice,bob（更新 --out 中的结果）
  --resume            接着完成被中断的评测：只评测 --out 里还没有的学生
  --gradebook <格式>  plain（默认）、canvas、moodle，可用逗号分隔；每种格式一个 CSV 文件
  --shard <i/n>       只评测全班的第 i 份（共 n 份，需要 --seed）；之后用下面的命令合并各份
  --merge <文件夹…>   npm run grade -- --merge OUT1 OUT2 … --out DIR

退出码：0 全部通过，1 有检查未通过，2 命令行有误，3 服务器没能启动，
4 环境没准备好（Node 版本太旧、没有安装依赖、在 Windows 上而不是 WSL 里），130 被中断。`,
);

export function infoMain(plan: InfoPlan): number {
  const { lang } = plan;
  if (plan.mode === 'help') {
    process.stdout.write(say(HELP, lang) + '\n');
    return EXIT.passed;
  }
  const count = (s: Stage): number => s.checks.filter((c) => !c.teacherOnly).length;
  process.stdout.write(stages.map((s) => `${String(s.number).padStart(2)}  ${s.slug.padEnd(22)} ${say(s.title, lang)}  ${say(t(`(${count(s)} checks)`, `（${count(s)} 项检查）`), lang)}`).join('\n') + '\n');
  return EXIT.passed;
}
