/** A forked test process that reports by IPC messages `{ type, ... }`, and a way to wait for one of them. */
import { fork } from 'node:child_process';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface MessagingChild<M extends { type: string }> {
  /** every message so far, in order */
  messages: M[];
  /** the first message of this type: one already received, or the next to come; rejects if the child exits first */
  next<T extends M['type']>(type: T): Promise<Extract<M, { type: T }>>;
  /** a message to the child; dropped once it has disconnected */
  send(message: unknown): void;
  exited: Promise<ChildExit>;
  /** SIGKILL, if it still runs */
  kill(): void;
}

/** Forks `script` with `env` added to this process's environment, its output on ours. */
export function forkMessaging<M extends { type: string }>(
  script: string,
  env: Record<string, string>,
): MessagingChild<M> {
  const child = fork(script, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: M[] = [];
  const waiters: Array<{ type: string; resolve: (m: M) => void }> = [];
  child.on('message', (message: M) => {
    messages.push(message);
    for (const waiter of waiters.filter((w) => w.type === message.type)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(message);
    }
  });
  const exited = new Promise<ChildExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    messages,
    next: <T extends M['type']>(type: T) => {
      const seen = messages.find((m) => m.type === type);
      if (seen) return Promise.resolve(seen as Extract<M, { type: T }>);
      return Promise.race([
        new Promise<Extract<M, { type: T }>>((resolve) => waiters.push({ type, resolve: resolve as (m: M) => void })),
        exited.then(({ code, signal }) =>
          Promise.reject(new Error(`${script} exited (${code ?? signal}) before saying ${type}`)),
        ),
      ]);
    },
    send: (message) => {
      if (child.connected) child.send(message as object);
    },
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
