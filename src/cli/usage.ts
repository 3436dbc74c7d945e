/** The default grace of `weir run`'s first SIGINT/SIGTERM, in ms (under a typical 30 s SIGKILL). */
export const DEFAULT_GRACE_MS = 25_000;

/** `weir --help`. */
export const weirUsage = `weir — run concurrent pipelines and workflows

usage:
  weir run [options] <file>    run the pipeline (or workflow) the module exports by default
  weir plan [options] <file>   print its execution plan
  weir resume [options] <runId> <file>
                               finish a durable run (weir run --durable) after a kill or Ctrl-C
  weir worker [options] <module...>
                               serve the modules' exports to fleet stages, through Redis
  weir runs [show <id>]        the runs of the durable store (.weir/weir.db, $WEIR_DB or --db)
  weir dlq <ls|show|replay|purge>
                               its dead letters

  weir top [options]           a live table of the weir runs on this machine
  weir dashboard [options]     serve the web dashboard of a store's runs and dead letters
  weir help [command]          this help, or a command's
  weir --version               the version

Run "weir <command> --help" for a command's options.

exit codes: 0 done; 1 the run failed, was cancelled or abandoned work, or the module did not load;
2 the command line was wrong.`;

/** `weir run --help`. */
export const runUsage = `usage: weir run [options] <file>

Runs the default export of <file> (TypeScript or JavaScript): a pipeline or a workflow, or a
function (possibly async) returning one. Shows live progress on a terminal and a summary at the end.

options:
  --json            print the result as JSON on stdout (and nothing else there: the module's
                    own output goes to stderr); no live view
  --no-progress     no live view, only the summary
  --grace-ms <n>    on the first SIGINT/SIGTERM, stop: the source is closed and what was pulled
                    drains for up to <n> ms, then what is left is aborted (default ${DEFAULT_GRACE_MS})
  --metrics-port <n>
                    serve Prometheus metrics on http://127.0.0.1:<n>/metrics (0: a free port;
                    the URL is printed on stderr)
  -h, --help        this help
  --durable         record the run in the SQLite store ($WEIR_DB, or .weir/weir.db): it prints its
                    run id, and after a kill or Ctrl-C the command that resumes it (weir resume)

A second SIGINT/SIGTERM aborts at once. A run that had to abandon work exits 1.`;

/** `weir resume --help`. */
export const resumeUsage = `usage: weir resume [options] <runId> <file>

Continues the durable run <runId> (started by "weir run --durable <file>") from its last
checkpoint, in the SQLite store ($WEIR_DB, or .weir/weir.db): what was done is not done again,
the rest runs with the same item keys. Refused when <file>'s pipeline changed since (stage names,
order, functions, options that change results) unless --force, and while another live process
holds the run.

options:
  --force           resume even though the pipeline changed
  --json            print the result as JSON on stdout
  --no-progress     no live view, only the summary
  --grace-ms <n>    as for weir run (default ${DEFAULT_GRACE_MS})
  -h, --help        this help`;

/** `weir plan --help`. */
export const planUsage = `usage: weir plan [options] <file>

Prints the execution plan of the pipeline (or workflow) <file> exports by default: which stages
are fused, which get a step and a channel, and why.

options:
  --json            print the plan as JSON
  -h, --help        this help`;

/** `weir worker --help`. */
export const workerUsage = `usage: weir worker [options] <module...>

Serves the exported functions of <module> (TypeScript or JavaScript; several may be given) to every
pipeline whose fleet stages name them (fleet(url, "export", { redis }) from "weir/redis"), until
SIGTERM or SIGINT. Items come from Redis streams <prefix>:q:<module>:<export>; only the exports of
the modules given here are ever run.

options:
  --redis <url>          redis:// or rediss:// URL, user and password in it (or WEIR_REDIS_URL)
  --exports <a,b>        serve only these exports (default: every exported function)
  --concurrency <n>      asynchronous items running at once (default 16)
  --prefetch <n>         stream entries held at once, running or waiting (default 4)
  --lease-ms <n>         an entry held this long without renewal goes to another worker (default 30000)
  --max-deliveries <n>   an item delivered this many times without an answer fails with
                         WEIR_FLEET_DELIVERIES instead of running again (default 3)
  --max-outage-ms <n>    give up (exit 1) when Redis is unreachable this long (default 30000)
  --prefix <p>           key prefix, as the pipelines' (default weir)
  --name <name>          consumer name (default <host>:<pid>:<random>)
  --grace-ms <n>         on SIGTERM/SIGINT: entries not started go back at once; running ones
                         may finish for up to <n> ms, then go back too (default ${DEFAULT_GRACE_MS})
  -h, --help             this help

A second SIGTERM/SIGINT hands everything back at once. Exit codes: 0 stopped, 1 Redis or a module
failed, 2 the command line was wrong.`;

/** `weir runs --help`. */
export const runsUsage = `usage: weir runs [options]
       weir runs show <id> [options]

Lists the runs of the durable store, newest first: id, kind, name, state (running, interrupted,
completed, failed, cancelled), progress (done/total, dead letters), started, ended. "interrupted"
is a run whose owner is gone (killed): resume it. "show" prints one run: its owner, epoch, plan
and error.

options:
  --db <file>       the store (default $WEIR_DB, else .weir/weir.db)
  --json            print JSON
  --limit <n>       at most <n> runs (default 50)
  -h, --help        this help`;

/** `weir dlq --help`. */
export const dlqUsage = `usage: weir dlq ls [filters] [--replayed] [--limit <n>]
       weir dlq show <id>
       weir dlq replay <id...> --file <job.ts> [--edit <item.json>]
       weir dlq replay --all [filters] --file <job.ts>
       weir dlq purge <id...> | --all [filters] [--replayed]

The dead letters of the durable store: items a pipeline stage, or workflow tasks, gave up on,
with their error (class, code, message, stack, causes), attempts and failure times.
"ls" lists those not replayed yet (--replayed: every one). "replay" runs each again with the job
<job.ts> exports (the one that made them): a pipeline's item through the stage it failed in and
every stage after it, keeping its key (--edit: with this JSON as the item instead); a workflow's
by resuming its run. Replayed ones are marked; one that fails again is a new dead letter (exit 1).
"purge" deletes them.

filters:
  --pipeline <name>   --workflow <name>   --run <id>   --stage <name>   --code <code>
  --since <when>      a duration back from now (30m, 2h, 7d) or a date (2026-12-01T10:00Z)

options:
  --db <file>       the store (default $WEIR_DB, else .weir/weir.db)
  --json            print JSON
  -h, --help        this help`;

/** `weir top --help`. */
export const topUsage = `usage: weir top [options]

A live table of every weir run on this machine, or of the one at --address: per stage, items in
and out per second, errors, queue fill, busy share, p50/p99 latency and pool workers; the
bottleneck stage is marked *. Refreshed every second. Each \`weir run\` registers itself with a
heartbeat in its store (the durable run's, else $WEIR_DB, else .weir/weir.db when it exists), or
without one in the machine's registry; weir top reads both.

keys: up/down or j/k pick a run; enter shows it alone (again: all); s stops it (as a first
SIGTERM would: the source closes, what was pulled drains); q or Ctrl-C quits.

options:
  --address <url>     watch this run's status address (http://127.0.0.1:<port>/?token=…)
  --db <file>         the store to find runs in (default $WEIR_DB, or .weir/weir.db if it exists)
  --interval-ms <n>   refresh period (default 1000)
  --once              print one frame and exit
  -h, --help          this help`;

/** `weir dashboard --help`. */
export const dashboardUsage = `usage: weir dashboard [job.ts] [options]

Serves the web dashboard of a durable store: its runs (live ones too, with what their owners
publish) and its dead letters (search, show, purge), until SIGINT/SIGTERM. Prints the URL on
stdout; it carries a random token that every request needs. With the job module that made the
dead letters, the page also replays them (one, the selected ones, or one with its item edited),
as \`weir dlq replay --file job.ts\` does; without it the replay buttons are off. Live pipeline
graphs and workflow DAGs are shown by a dashboard in the running process: run({ dashboard: true }).

options:
  --db <file>       the SQLite store (default $WEIR_DB, or .weir/weir.db)
  --port <n>        the port (default 0: a free one)
  --host <addr>     the address (default 127.0.0.1); anything but loopback needs --allow-remote
  --allow-remote    listen on a non-loopback --host (prints a warning: the token is all that
                    guards it then)
  -h, --help        this help`;
