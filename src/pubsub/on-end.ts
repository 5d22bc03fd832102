/**
 * `source`, calling `end` once when it ends however it ends: done, returned (a client that went
 * away) or thrown. Unlike a generator's `finally`, this also runs for a stream never started.
 */
export function onEnd<T>(source: AsyncIterator<T>, end: () => void): AsyncIterableIterator<T> {
  let ended = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    end();
  };
  return {
    next: async () => {
      const step = await source.next();
      if (step.done) finish();
      return step;
    },
    return: (value?: unknown) => {
      finish();
      return source.return ? source.return(value) : Promise.resolve({ done: true, value: undefined });
    },
    throw: (error?: unknown) => {
      finish();
      return source.throw ? source.throw(error) : Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
