/**
 * @module test/deploy/manifests
 * docker-compose, Kubernetes, Dockerfile and Collector config, parsed and checked. No Docker
 * engine or cluster runs here, so this is as far as they can be proven: structure, pinned images,
 * no default passwords, mounts that exist, and probes that hit endpoints a real doctor-api answers.
 */
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { buildNotifier } from '@sightline/notifier/app.js'
import { createSightline, type Sightline } from 'sightline'
import { type DoctorApi, startDoctorApi } from '../doctor-api/harness.js'
import { LogCapture } from '../helpers/logs.js'
import { close, listen } from '../helpers/server.js'
import { DEPLOY, ROOT, readDeploy, yamlOf } from './tools.js'

interface ComposeService {
  image?: string
  build?: { context: string; dockerfile: string }
  command?: string[]
  environment?: Record<string, string>
  volumes?: string[]
  healthcheck?: { test: string[] }
  depends_on?: Record<string, { condition: string }>
  stop_grace_period?: string
}

interface Probe {
  httpGet: { path: string; port: string | number }
}

interface Container {
  image: string
  ports: { name: string; containerPort: number }[]
  env: { name: string; value: string }[]
  startupProbe: Probe
  livenessProbe: Probe
  readinessProbe: Probe
  lifecycle?: { preStop?: { exec?: { command: string[] } } }
}

/** `name:tag` or `name@sha256:…` with a tag that names a version, never `latest`. */
function assertPinned(image: string, where: string): void {
  const tag = /^[^:@]+(?::([^@]+))?(@sha256:[0-9a-f]{64})?$/.exec(image)
  assert.ok(tag !== null && (tag[1] !== undefined || tag[2] !== undefined), `${where}: ${image} has no tag`)
  assert.ok(tag[1] === undefined || /\d/.test(tag[1]), `${where}: ${image} is not pinned to a version`)
  assert.notEqual(tag[1], 'latest', `${where}: ${image} uses latest`)
}

const compose = yamlOf<{ services: Record<string, ComposeService> }>('docker-compose.yml')
const deployment = yamlOf<{
  spec: {
    template: {
      metadata: { labels: Record<string, string> }
      spec: { terminationGracePeriodSeconds: number; containers: Container[] }
    }
  }
}>('kubernetes/deployment.yaml')
const container = deployment.spec.template.spec.containers[0] as Container
const envOf = (name: string) => container.env.find((entry) => entry.name === name)?.value

describe('docker-compose.yml', () => {
  const services = compose.services

  test('has the whole stack', () => {
    for (const name of [
      'doctor-api',
      'notifier',
      'postgres',
      'redis',
      'otel-collector',
      'prometheus',
      'alertmanager',
      'grafana',
      'jaeger',
    ]) {
      assert.ok(services[name], `service ${name} missing`)
    }
  })

  test('every image is pinned to a version', () => {
    for (const [name, service] of Object.entries(services)) {
      assert.ok(service.image, `${name} has no image`)
      assertPinned(service.image, name)
    }
    for (const from of readDeploy('Dockerfile').matchAll(/^FROM (\S+)/gm)) assertPinned(from[1] as string, 'Dockerfile')
  })

  test('no password has a default: each one must come from deploy/.env', () => {
    const text = readDeploy('docker-compose.yml')
    const passwords = [...text.matchAll(/\$\{(\w*PASSWORD\w*)([^}]*)\}/g)]
    assert.ok(passwords.length >= 2)
    for (const [whole, , modifier] of passwords) assert.match(modifier as string, /^:\?/, `${whole} has a default`)
    assert.doesNotMatch(text, /PASSWORD[=:]\s*["']?(admin|password|postgres|secret)\b/i)
    assert.match(readDeploy('.env.example'), /CHANGE EVERY PASSWORD/)
  })

  test('health checks on every service whose image can run one, and services wait on them', () => {
    // The collector's and Jaeger's images ship no shell or HTTP client (said in the file).
    const withoutShell = new Set(['otel-collector', 'jaeger'])
    for (const [name, service] of Object.entries(services)) {
      if (withoutShell.has(name)) continue
      assert.ok(service.healthcheck?.test.length, `${name} has no healthcheck`)
    }
    assert.equal(services['doctor-api']?.depends_on?.postgres?.condition, 'service_healthy')
  })

  test('mounted files exist, and Prometheus scrapes doctor-api on the port it listens on', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] as string
        if (!source.startsWith('.')) continue
        assert.ok(existsSync(join(DEPLOY, source)), `${name} mounts ${source}, which does not exist`)
      }
    }
    const port = services['doctor-api']?.environment?.PORT
    const prometheus = yamlOf<{ scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] }>(
      'prometheus/prometheus.yml',
    )
    const job = prometheus.scrape_configs.find((config) => config.job_name === 'doctor-api')
    assert.deepEqual(job?.static_configs[0]?.targets, [`doctor-api:${port}`])
    assert.ok(readDeploy('docker-compose.yml').includes('--enable-feature=exemplar-storage'))
  })

  test('the services run built entry points that exist, and Prometheus scrapes the notifier on its port', () => {
    assert.match(readDeploy('Dockerfile'), /CMD \["node", "examples\/doctor-api\/dist\/main\.js"\]/)
    const entries = ['examples/doctor-api/dist/main.js']
    for (const service of Object.values(services)) {
      if (service.command?.[0] === 'node') entries.push(service.command[1] as string)
    }
    assert.ok(entries.includes('examples/notifier/dist/main.js'))
    for (const entry of entries) assert.ok(existsSync(join(ROOT, entry)), `${entry} does not exist`)
    const prometheus = yamlOf<{ scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] }>(
      'prometheus/prometheus.yml',
    )
    const job = prometheus.scrape_configs.find((config) => config.job_name === 'notifier')
    assert.deepEqual(job?.static_configs[0]?.targets, [`notifier:${services.notifier?.environment?.NOTIFIER_PORT}`])
    assert.equal(
      services['doctor-api']?.environment?.NOTIFIER_URL,
      `http://notifier:${services.notifier?.environment?.NOTIFIER_PORT}`,
    )
    assert.equal(services['doctor-api']?.stop_grace_period, '30s')
    assert.equal(services.notifier?.stop_grace_period, '30s')
  })
})

describe('Kubernetes manifests', () => {
  test('images pinned, ports named consistently, Service and ServiceMonitor select the pods', () => {
    assertPinned(container.image, 'deployment')
    assert.equal(String(container.ports[0]?.containerPort), envOf('PORT'))
    const service = yamlOf<{ spec: { selector: Record<string, string>; ports: { targetPort: string }[] } }>(
      'kubernetes/service.yaml',
    )
    const podLabels = deployment.spec.template.metadata.labels
    for (const [key, value] of Object.entries(service.spec.selector)) assert.equal(podLabels[key], value)
    assert.equal(service.spec.ports[0]?.targetPort, container.ports[0]?.name)
    const monitor = yamlOf<{
      spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] }
    }>('kubernetes/servicemonitor.yaml')
    assert.equal(monitor.spec.endpoints[0]?.port, 'http')
    assert.equal(monitor.spec.endpoints[0]?.path, '/metrics')
    const serviceLabels = yamlOf<{ metadata: { labels: Record<string, string> } }>('kubernetes/service.yaml').metadata
      .labels
    for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels))
      assert.equal(serviceLabels[key], value)
    const kustomization = yamlOf<{ resources: string[] }>('kubernetes/kustomization.yaml')
    for (const resource of kustomization.resources)
      assert.ok(existsSync(join(DEPLOY, 'kubernetes', resource)), resource)
  })

  test('probes: liveness and startup on /healthz, readiness on /readyz, on the named port', () => {
    assert.equal(container.livenessProbe.httpGet.path, '/healthz')
    assert.equal(container.startupProbe.httpGet.path, '/healthz')
    assert.equal(container.readinessProbe.httpGet.path, '/readyz')
    for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
      assert.equal(probe.httpGet.port, container.ports[0]?.name)
    }
  })

  test("the grace period covers Sightline's shutdown delay, drain timeout and any preStop", () => {
    const delayMs = Number(envOf('SIGHTLINE_SHUTDOWN_DELAY_MS') ?? 5000)
    const timeoutMs = Number(envOf('SIGHTLINE_SHUTDOWN_TIMEOUT_MS') ?? 20000)
    const preStop = container.lifecycle?.preStop?.exec?.command.join(' ') ?? ''
    const preStopSeconds = Number(/sleep (\d+)/.exec(preStop)?.[1] ?? 0)
    const grace = deployment.spec.template.spec.terminationGracePeriodSeconds
    assert.equal(grace, 30)
    // Leave room for the shutdown hooks and the telemetry flush after the drain.
    assert.ok(preStopSeconds + (delayMs + timeoutMs) / 1000 + 3 <= grace, `grace ${grace}s is too short`)
  })
})

describe('probe endpoints answer on a real doctor-api', () => {
  let api: DoctorApi
  before(async () => {
    api = await startDoctorApi()
  })
  after(() => api.close())

  test('every path the Deployment and compose probe or scrape returns 200', async () => {
    const paths = new Set([
      container.livenessProbe.httpGet.path,
      container.readinessProbe.httpGet.path,
      container.startupProbe.httpGet.path,
      ...[...readDeploy('docker-compose.yml').matchAll(/127\.0\.0\.1:8000(\/\w+)/g)].map((match) => match[1] as string),
      yamlOf<{ spec: { endpoints: { path: string }[] } }>('kubernetes/servicemonitor.yaml').spec.endpoints[0]
        ?.path as string,
    ])
    assert.ok(paths.size >= 3)
    for (const path of paths) {
      const response = await fetch(`${api.url}${path}`)
      assert.equal(response.status, 200, `${path} answered ${response.status}`)
    }
  })
})

describe('probe endpoints answer on a real notifier', () => {
  let server: Server
  let sightline: Sightline
  let url: string
  before(async () => {
    sightline = createSightline({ service: 'notifier', logDestination: new LogCapture(), shutdown: { signals: false } })
    server = createServer(buildNotifier(sightline))
    url = await listen(server)
  })
  after(async () => {
    await close(server)
    await sightline.close()
  })

  test('the paths its compose health check and Prometheus call return 200', async () => {
    const text = readDeploy('docker-compose.yml')
    const paths = [...text.matchAll(/127\.0\.0\.1:8001(\/\w+)/g)].map((match) => match[1] as string)
    assert.deepEqual(paths, ['/readyz'])
    for (const path of [...paths, '/metrics']) {
      const response = await fetch(`${url}${path}`)
      assert.equal(response.status, 200, `${path} answered ${response.status}`)
    }
  })
})

describe('otel-collector/config.yaml', () => {
  const config = yamlOf<{
    receivers: Record<string, { protocols: Record<string, unknown> }>
    processors: Record<string, unknown>
    exporters: Record<string, unknown>
    service: { pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }> }
  }>('otel-collector/config.yaml')

  test('OTLP over gRPC and HTTP in; every pipeline uses components that are defined', () => {
    assert.deepEqual(Object.keys(config.receivers.otlp?.protocols ?? {}).sort(), ['grpc', 'http'])
    for (const [name, pipeline] of Object.entries(config.service.pipelines)) {
      for (const receiver of pipeline.receivers) assert.ok(config.receivers[receiver], `${name}: ${receiver}`)
      for (const processor of pipeline.processors) assert.ok(config.processors[processor], `${name}: ${processor}`)
      for (const exporter of pipeline.exporters) assert.ok(config.exporters[exporter], `${name}: ${exporter}`)
      assert.equal(pipeline.processors[0], 'memory_limiter', `${name}: memory_limiter must come first`)
      assert.equal(pipeline.processors.at(-1), 'batch', `${name}: batch must come last`)
    }
  })

  test('traces keep errors and slow ones and go to Jaeger over OTLP; metrics to Prometheus', () => {
    const traces = config.service.pipelines.traces
    assert.ok(traces?.processors.includes('tail_sampling'))
    const policies = (config.processors.tail_sampling as { policies: { type: string }[] }).policies.map((p) => p.type)
    assert.ok(policies.includes('status_code') && policies.includes('latency'))
    assert.deepEqual(traces?.exporters, ['otlp/jaeger'])
    assert.equal(config.exporters.jaeger, undefined, 'the jaeger exporter was removed from the collector')
    assert.deepEqual(config.service.pipelines.metrics?.exporters, ['prometheus'])
  })
})
