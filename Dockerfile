# syntax=docker/dockerfile:1
# The server on PostgreSQL + Redis (compose.yaml), or on the embedded database in /data.
# Both stages run .ci/release, which test/release.test.ts runs in a fresh clone.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN .ci/release build && .ci/release stage /app

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=4000 DATA_DIR=/data
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/ready`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains (SHUTDOWN_DRAIN_MS, SHUTDOWN_REPLY_GRACE_MS): give the container the longer of
# them plus 15 s to stop (docker run --stop-timeout 30, compose's stop_grace_period).
STOPSIGNAL SIGTERM
CMD [".ci/release", "start"]
