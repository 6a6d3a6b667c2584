"""Reading Kubernetes objects: pods, ports, mounts, images (for hack/check-manifests)."""
import re

IMAGES = {"portico-proxy", "portico-controller", "echo-grpc", "reverse-grpc"}


def describe(obj):
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace")
    return "%s %s%s" % (obj.get("kind"), namespace + "/" if namespace else "", meta.get("name"))


def parse_duration(text):
    """`10s`, `500ms`, `1m`, `1.5s` or `0` -> seconds."""
    text = str(text)
    if text == "0":
        return 0.0
    match = re.fullmatch(r"([0-9.]+)(ms|s|m|h)", text)
    if not match:
        raise ValueError("not a duration: %r" % text)
    return float(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[match.group(2)]


def image_name(image):
    """`REGISTRY/PATH/portico-proxy:TAG@sha256:...` -> `portico-proxy`."""
    return image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]


def workloads(objects):
    return [o for o in objects if o.get("kind") in ("Deployment", "StatefulSet", "DaemonSet")]


def pod_template(workload):
    return ((workload.get("spec") or {}).get("template")) or {}


def selects(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def container_ports(container):
    return {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}


def port_exists(container, port):
    ports = container_ports(container)
    return port in ports if isinstance(port, str) else port in ports.values()


def arg_value(args, flag):
    """`--flag=value` or `--flag value` from a container's args."""
    for i, arg in enumerate(args):
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
    return None


def mount_for(container, path):
    """The volumeMount whose mountPath holds `path` (the deepest one)."""
    best = None
    for mount in container.get("volumeMounts") or []:
        root = mount["mountPath"].rstrip("/")
        if path == root or path.startswith(root + "/"):
            if best is None or len(root) > len(best["mountPath"].rstrip("/")):
                best = mount
    return best


def containers_by_image(workload):
    return {image_name(c.get("image", "")): c for c in (pod_template(workload).get("spec") or {}).get("containers") or []}
