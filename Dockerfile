# The Breakwater image docker-compose.yml runs as `ship` and `process` (any command works:
# `docker run IMAGE parse …`). Build: `docker compose build` or `docker build -t breakwater .`.
FROM node:20.18-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json

FROM node:20.18-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY sql ./sql
COPY pipelines ./pipelines
COPY deploy/compose/fleet.yaml /etc/breakwater/fleet.yaml
RUN mkdir -p /var/lib/breakwater
ENTRYPOINT ["node", "/app/bin/breakwater.js"]
CMD ["--help"]
