#!/usr/bin/env bash
# Makes sure the real servers the integration tests use are reachable: the URLs in the environment,
# else the machine's own services on their standard ports, else ones started (and, as root,
# installed from Debian's packages) here. Writes the settled URLs to dist/services.env.
# A server that cannot be had is a failure, never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p dist
out=dist/services.env
: > "$out"

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "ensure-services: $* missing and not root to install it" >&2; return 1; fi
  if [ $apt_updated = 0 ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# --- PostgreSQL ---
pg_url=${TEST_DATABASE_URL:-${DATABASE_URL:-}}
if [ -z "$pg_url" ]; then
  if ! port_open 127.0.0.1 5432; then
    command -v pg_ctlcluster >/dev/null || apt_install postgresql
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do port_open 127.0.0.1 5432 && break; sleep 0.5; done
  fi
  port_open 127.0.0.1 5432 || { echo "ensure-services: no PostgreSQL on 127.0.0.1:5432" >&2; exit 1; }
  pg_url=postgres://postgres@127.0.0.1:5432/postgres
fi
echo "TEST_DATABASE_URL=$pg_url" >> "$out"

# --- Redis ---
redis_url=${TEST_REDIS_URL:-${REDIS_URL:-}}
if [ -z "$redis_url" ]; then
  if ! port_open 127.0.0.1 6379; then
    command -v redis-server >/dev/null || apt_install redis-server
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
    for _ in $(seq 1 30); do port_open 127.0.0.1 6379 && break; sleep 0.2; done
  fi
  port_open 127.0.0.1 6379 || { echo "ensure-services: no Redis on 127.0.0.1:6379" >&2; exit 1; }
  redis_url=redis://127.0.0.1:6379
fi
echo "TEST_REDIS_URL=$redis_url" >> "$out"

# --- RabbitMQ (sightline/amqplib, and doctor-api's notifications through it) ---
amqp_url=${TEST_AMQP_URL:-}
if [ -z "$amqp_url" ]; then
  if ! port_open 127.0.0.1 5672; then
    command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
    rabbitmq-server -detached >/dev/null 2>&1 || true
    for _ in $(seq 1 120); do port_open 127.0.0.1 5672 && break; sleep 0.5; done
  fi
  port_open 127.0.0.1 5672 || { echo "ensure-services: no RabbitMQ on 127.0.0.1:5672" >&2; exit 1; }
  amqp_url=amqp://guest:guest@127.0.0.1:5672
fi
echo "TEST_AMQP_URL=$amqp_url" >> "$out"

# --- NATS (sightline/nats) ---
nats_url=${TEST_NATS_URL:-}
if [ -z "$nats_url" ]; then
  if ! port_open 127.0.0.1 4222; then
    command -v nats-server >/dev/null || apt_install nats-server
    (nats-server -a 127.0.0.1 -p 4222 >/dev/null 2>&1 &)
    for _ in $(seq 1 30); do port_open 127.0.0.1 4222 && break; sleep 0.2; done
  fi
  port_open 127.0.0.1 4222 || { echo "ensure-services: no NATS on 127.0.0.1:4222" >&2; exit 1; }
  nats_url=nats://127.0.0.1:4222
fi
echo "TEST_NATS_URL=$nats_url" >> "$out"

# --- Prometheus (promtool and the server, for the metrics-format and operations-kit tests) ---
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then apt_install prometheus; fi
# The Debian package starts a daemon on :9090 we don't use; tests start their own on a free port.
echo "PROMETHEUS_BIN=$(command -v prometheus)" >> "$out"
echo "PROMTOOL_BIN=$(command -v promtool)" >> "$out"
# --- Chromium (the viewer's browser tests drive Debian's build through playwright-core) ---
chromium_bin=${CHROMIUM_BIN:-/usr/bin/chromium}
if [ ! -x "$chromium_bin" ]; then apt_install chromium; chromium_bin=/usr/bin/chromium; fi
[ -x "$chromium_bin" ] || { echo "ensure-services: no Chromium at $chromium_bin" >&2; exit 1; }
echo "CHROMIUM_BIN=$chromium_bin" >> "$out"
echo "ensure-services: $(tr '\n' ' ' < "$out")"
