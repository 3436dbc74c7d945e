/** The default grace of `weir run`'s first SIGINT/SIGTERM, in ms (under a typical 30 s SIGKILL). */
export const DEFAULT_GRACE_MS = 25_000;

/** `weir --help`. */
export const weirUsage = `weir — run concurrent pipelines and workflows

usage:
  weir run [options] <file>    run the pipeline (or workflow) the module exports by default
  weir plan [options] <file>   print its execution plan
  weir worker [options] <module...>
                               serve the modules' exports to fleet stages, through Redis
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
  -h, --help        this help

A second SIGINT/SIGTERM aborts at once. A run that had to abandon work exits 1.`;

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

/** `weir dashboard --help`. */
export const dashboardUsage = `usage: weir dashboard [options]

Serves the web dashboard of a durable store: its runs (live ones too, with what their owners
publish) and its dead letters (search, show, purge), until SIGINT/SIGTERM. Prints the URL on
stdout; it carries a random token that every request needs. Live pipeline graphs and workflow
DAGs are shown by a dashboard in the running process: run({ dashboard: true }).

options:
  --db <file>       the SQLite store (default $WEIR_DB, or .weir/weir.db)
  --port <n>        the port (default 0: a free one)
  --host <addr>     the address (default 127.0.0.1); anything but loopback needs --allow-remote
  --allow-remote    listen on a non-loopback --host (prints a warning: the token is all that
                    guards it then)
  -h, --help        this help`;
