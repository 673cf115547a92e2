# skillgate GitHub App in a container.
#
# The App starts sandboxes through Docker (runtime runsc), so the container talks to the
# HOST's Docker daemon; the host must have runsc registered (see docs/github-app.md).
# Skill folders are bind-mounted by path, so SKILLGATE_WORKDIR must be the same path
# inside and outside the container (mount it at the same place).
#
#   docker build -f Dockerfile.app -t skillgate-app .
#   docker run -d --name skillgate-app -p 3000:3000 \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     -v /var/lib/skillgate:/var/lib/skillgate \
#     -e SKILLGATE_WORKDIR=/var/lib/skillgate/work -e SKILLGATE_DB=/var/lib/skillgate/skillgate.db \
#     -e APP_ID=... -e WEBHOOK_SECRET=... -e PRIVATE_KEY="$(base64 -w0 key.pem)" \
#     skillgate-app
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY bench ./bench
COPY action/src ./action/src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 LOG_FORMAT=json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY policies ./policies
COPY schemas ./schemas
COPY sandbox ./sandbox
# The Docker socket is root-owned on most hosts; the process needs access to it and
# nothing else. Untrusted code never runs here: it runs in runsc sandboxes.
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:3000/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/github/server.js"]
