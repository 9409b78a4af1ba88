# syntax=docker/dockerfile:1
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
# The build places the libs' versioned SQL files beside the compiled migrations.
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/apps/api/public ./apps/api/public
USER node
EXPOSE 3000
# The heap limit is far above what the service needs; below 2 GB, V8 also lets garbage
# accumulate less before a full collection. 32 MB semi-spaces: fewer, shorter minor
# collections (see README, Memory).
CMD ["node", "--max-old-space-size=1024", "--max-semi-space-size=32", "dist/apps/api/src/main.js"]
