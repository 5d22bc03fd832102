/**
 * `source`, calling `end` once when it ends however it ends: done, returned (a client that went
 * away) or thrown. Unlike a generator's `finally`, this also runs for a stream never started.
 * A returned or thrown stream ends once its source has let go, so a source that will not, ends never.
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
    return: async (value?: unknown) => {
      const step = source.return ? await source.return(value) : { done: true as const, value: undefined };
      finish();
      return step;
    },
    throw: async (error?: unknown) => {
      try {
        return source.throw ? await source.throw(error) : Promise.reject(error);
      } finally {
        finish();
      }
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
