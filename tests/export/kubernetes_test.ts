import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Job } from "kubernetes-models/batch/v1/Job";
import { tempDir } from "../_helpers/daemon.ts";
import { includes, taskmaster, writeConfig } from "./_helpers.ts";

// deno-lint-ignore no-explicit-any
type Manifest = any;

async function manifests(args: string[]): Promise<Manifest[]> {
  const result = await taskmaster(["export", "kubernetes", ...args]);
  assert.equal(result.code, 0, result.stderr);
  return parseAllDocuments(result.stdout).map((d) => d.toJS());
}

/** kubernetes-models' JSON-schema validation of each manifest; throws on an invalid one. */
function validate(manifest: Manifest): void {
  if (manifest.kind === "Deployment") new Deployment(manifest).validate();
  else if (manifest.kind === "Job") new Job(manifest).validate();
  else throw new Error(`unexpected kind ${manifest.kind}`);
}

Deno.test("export kubernetes: a Deployment per long-running program, a Job for autorestart never, all schema-valid", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`);
  const docs = await manifests(["-c", config, "--image", "registry.local/app:1"]);
  assert.deepEqual(docs.map((d) => `${d.kind}/${d.metadata.name}`), [
    "Deployment/app-web",
    "Deployment/app-worker",
    "Job/app-migrate",
    "Deployment/app-manual",
  ]);
  for (const doc of docs) validate(doc);

  const [web, worker, migrate, manual] = docs;
  assert.equal(web.spec.replicas, 2);
  assert.equal(web.spec.minReadySeconds, 2);
  const pod = web.spec.template.spec;
  assert.equal(pod.terminationGracePeriodSeconds, 7);
  assert.equal(pod.restartPolicy, "Always");
  const c = pod.containers[0];
  assert.equal(c.image, "registry.local/app:1");
  assert.deepEqual(c.command, ["/bin/sh"]);
  assert.deepEqual(c.args, ["-c", `echo "hello world" 100%; exec sleep 1000`]);
  assert.deepEqual(c.env, [
    { name: "GREETING", value: "hi there" },
    { name: "PCT", value: "50%" },
    { name: "DOLLAR", value: "$HOME" },
  ]);
  assert.equal(c.workingDir, "/tmp");
  assert.deepEqual(web.spec.selector.matchLabels, web.spec.template.metadata.labels);
  assert.deepEqual(c.livenessProbe, {
    httpGet: { path: "/live?deep=1", port: 8080, scheme: "HTTP" },
    initialDelaySeconds: 0,
    periodSeconds: 5,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 2,
  });
  assert.deepEqual(c.resources, { limits: { memory: "536870912" } });

  const wc = worker.spec.template.spec.containers[0];
  assert.equal(wc.image, "registry.local/worker:2", "x-kubernetes.image wins over --image");
  assert.deepEqual(wc.securityContext, { runAsUser: 65534 });
  assert.deepEqual([wc.command, wc.args], [["sleep"], ["1000"]]);
  assert.deepEqual(wc.readinessProbe.exec, { command: ["/bin/true", "--ready"] });
  assert.equal(wc.readinessProbe.initialDelaySeconds, 1);
  assert.equal(wc.readinessProbe.timeoutSeconds, 2);

  assert.equal(migrate.spec.backoffLimit, 1);
  assert.equal(migrate.spec.completions, 1);
  assert.equal(migrate.spec.template.spec.restartPolicy, "Never");
  assert.equal(manual.spec.replicas, 0);
});

Deno.test("export kubernetes: the schema validator rejects a broken manifest (so the check above can fail)", () => {
  assert.throws(() =>
    validate({ apiVersion: "apps/v1", kind: "Deployment", spec: { replicas: "two" } })
  );
});

Deno.test("export kubernetes: without an image it exits 2 naming the programs and the two ways to give one", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`);
  const result = await taskmaster(["export", "kubernetes", "-c", config]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  includes(
    result.stderr,
    `no container image for program "web", program "migrate", program "manual"`,
  );
  includes(result.stderr, "give --image IMAGE or set x-kubernetes: {image: IMAGE} on the program");
});

Deno.test("export kubernetes: lossy settings are listed on stderr; -o writes one file", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(`${dir}`);
  const result = await taskmaster([
    "export",
    "kubernetes",
    "-c",
    config,
    "--image",
    "x",
    "-o",
    `${dir}/k8s`,
    "--app",
    "shop",
  ]);
  assert.equal(result.code, 0);
  includes(result.stderr, `kubernetes: program "web": key "user": "daemon" is a name`);
  includes(result.stderr, `kubernetes: program "web": key "stopsignal": no equivalent`);
  includes(result.stderr, `kubernetes: program "web": key "umask": no equivalent`);
  includes(result.stderr, `kubernetes: program "worker": key "autorestart"`);
  const text = await Deno.readTextFile(`${dir}/k8s/shop.yaml`);
  includes(text, "name: shop-web");
});

Deno.test("x-kubernetes is validated like every other key", async () => {
  await using dir = await tempDir();
  const config = await writeConfig(
    `${dir}`,
    "programs:\n  web:\n    cmd: /bin/true\n    x-kubernetes: {imag: foo}\n",
  );
  const result = await taskmaster(["check", "-c", config]);
  assert.equal(result.code, 2);
  assert.match(
    result.stderr,
    /app\.yaml:4:\d+: program "web": key "x-kubernetes\.imag": unknown key "imag"; did you mean "image"\?/,
  );
});
