# obsmon (bridge or exporter) as a container. Stage 1 installs the dependencies, stage 2 compiles the
# CLI (`npm run build`, dist/cli/, which bin/obsmon.js runs) and drops the dev dependencies, stage 3 is
# the runtime image: no npm cache, no dev dependencies, non-root user.
#   docker build -t obsmon:0.1.0 .
#   docker run obsmon:0.1.0 bridge --help

# Node 20 as on the development and CI machines; pin the patch release, bump deliberately.
FROM node:20.20.2-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No scripts: `prepare` (the build) needs the sources, which the next stage has.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY config ./config
COPY lib ./lib
COPY protocol ./protocol
COPY bridge ./bridge
COPY exporter ./exporter
COPY rts2-sensord ./rts2-sensord
COPY deploy/build ./deploy/build
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production \
    OBSMON_HEALTH_URL=http://127.0.0.1:7080/healthz
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY config ./config
COPY lib ./lib
COPY protocol ./protocol
COPY bridge ./bridge
COPY exporter ./exporter
COPY rts2-sensord ./rts2-sensord
# The bridge's spool (--spool-dir): a named volume mounted here inherits this owner.
RUN mkdir -p /var/lib/obsmon/spool && chown -R node:node /var/lib/obsmon
# The image's own unprivileged user (uid 1000).
USER node
# 7070: agent reports (TCP); 7080: /metrics, /api/v1, /healthz and the status page (HTTP).
EXPOSE 7070 7080
# The bridge answers /healthz; an exporter container points OBSMON_HEALTH_URL at its --metrics-port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.OBSMON_HEALTH_URL).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--max-semi-space-size=2", "--v8-pool-size=1", "bin/obsmon.js"]
CMD ["bridge"]
