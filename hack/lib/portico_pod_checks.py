"""Invariants of the Portico pod: proxy config against the pod, socket, drain, token, RBAC, front Service."""
import os

from manifest_objects import (arg_value, container_ports, containers_by_image, describe, mount_for, parse_duration,
                              pod_template, selects, workloads)

# The controller reads Services and EndpointSlices and writes Events on
# Services: (apiGroup, resource) -> verbs. Nothing else.
LEAST_RBAC = {
    ("", "services"): {"get", "list", "watch"},
    ("discovery.k8s.io", "endpointslices"): {"get", "list", "watch"},
    ("", "events"): {"create", "patch"},
}
TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def check_portico(where, objects, yaml, problems):
    """The Portico pod: proxy and controller side by side."""
    portico = [w for w in workloads(objects) if "portico-proxy" in containers_by_image(w)]
    if len(portico) != 1:
        problems.add(where, "expected one workload running portico-proxy, found %d" % len(portico))
        return
    deployment = portico[0]
    name = describe(deployment)
    namespace = (deployment.get("metadata") or {}).get("namespace")
    containers = containers_by_image(deployment)
    proxy, controller = containers.get("portico-proxy"), containers.get("portico-controller")
    if controller is None:
        problems.add(where, name + ": no portico-controller container next to the proxy")
        return
    pod = pod_template(deployment).get("spec") or {}
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    if (deployment.get("spec") or {}).get("replicas", 1) < 2:
        problems.add(where, name + ": fewer than 2 replicas")
    spread = [c for c in pod.get("topologySpreadConstraints") or [] if c.get("topologyKey") == "kubernetes.io/hostname"]
    anti = (((pod.get("affinity") or {}).get("podAntiAffinity") or {}))
    if not spread and not anti:
        problems.add(where, name + ": not spread across nodes (topologySpreadConstraints on kubernetes.io/hostname "
                                   "or podAntiAffinity)")

    # The proxy's config file, from its ConfigMap.
    config_path = arg_value(proxy.get("args") or [], "--config")
    mount = mount_for(proxy, config_path or "")
    config = None
    if config_path is None:
        problems.add(where, name + ": the proxy has no --config")
    elif mount is None or "configMap" not in volumes.get(mount["name"], {}):
        problems.add(where, "%s: the proxy's --config %s is not in a ConfigMap mount" % (name, config_path))
    else:
        map_name = volumes[mount["name"]]["configMap"]["name"]
        key = config_path[len(mount["mountPath"].rstrip("/")) + 1:]
        maps = [o for o in objects if o.get("kind") == "ConfigMap" and o["metadata"]["name"] == map_name
                and o["metadata"].get("namespace") == namespace]
        if not maps or key not in (maps[0].get("data") or {}):
            problems.add(where, "%s: the proxy's config %s: ConfigMap %s has no key %s" % (name, config_path, map_name, key))
        else:
            config = yaml.safe_load(maps[0]["data"][key]) or {}
    if config is None:
        return
    ports = container_ports(proxy)

    def port_of(address):
        return int(str(address).rsplit(":", 1)[1])

    for key, port_name in (("listen", "https"), ("health", "health")):
        if key not in config:
            problems.add(where, "proxy config: no %s" % key)
        elif ports.get(port_name) != port_of(config[key]):
            problems.add(where, "proxy config: %s %s is not the container port %s (%s)" % (
                key, config[key], port_name, ports.get(port_name)))
    admin = str(config.get("admin", "127.0.0.1:8090"))
    if not (admin.startswith("127.") or admin.startswith("localhost:") or admin.startswith("[::1]:")):
        problems.add(where, "proxy config: admin %s is not on loopback: anyone on the pod network could reach it "
                            "(docs/security.md); use kubectl port-forward" % admin)
    if str(config.get("health", "")).startswith("127."):
        problems.add(where, "proxy config: health %s is on loopback: the kubelet cannot probe it" % config.get("health"))
    for probe_kind in ("readinessProbe", "livenessProbe"):
        probe = proxy.get(probe_kind) or {}
        handler = probe.get("httpGet") or probe.get("tcpSocket") or {}
        if handler.get("port") not in ("health", ports.get("health")):
            problems.add(where, "%s: the proxy's %s does not probe the health port" % (name, probe_kind))
    readiness = (proxy.get("readinessProbe") or {}).get("httpGet") or {}
    if readiness.get("path") != "/healthz":
        problems.add(where, "%s: the proxy's readinessProbe is not GET /healthz" % name)
    tls = config.get("tls") or {}
    if not tls:
        problems.add(where, "proxy config: no tls: the load balancer passes TCP through, the proxy must terminate TLS")
    # Every file tls names (docs/tls.md): in a Secret (or, for the client
    # CA, a ConfigMap) mounted without subPath, which the kubelet updates
    # in place so that the proxy's reload sees renewals.
    files = [("tls.%s" % key, tls.get(key)) for key in ("certificate", "privateKey", "clientCA")]
    for index, pair in enumerate(tls.get("certificates") or []):
        files += [("tls.certificates[%d].%s" % (index, key), pair.get(key)) for key in ("certificate", "privateKey")]
    for key, path in files:
        if not path:
            continue
        mount = mount_for(proxy, path)
        volume = volumes.get(mount["name"]) if mount else None
        kinds = ("secret", "configMap") if key == "tls.clientCA" else ("secret",)
        if volume is None or not any(kind in volume for kind in kinds):
            problems.add(where, "proxy config: %s %s is not in a %s mount" % (key, path, " or ".join(kinds)))
        elif mount.get("subPath") or mount.get("subPathExpr"):
            problems.add(where, "proxy config: %s %s: mounted with subPath, which the kubelet never updates" % (key, path))
        elif key.endswith("certificate") and "secret" in volume and os.path.basename(path) != "tls.crt":
            problems.add(where, "proxy config: %s %s: a kubernetes.io/tls Secret holds tls.crt" % (key, path))
        elif key.endswith("privateKey") and os.path.basename(path) != "tls.key":
            problems.add(where, "proxy config: %s %s: a kubernetes.io/tls Secret holds tls.key" % (key, path))

    # The membership socket: one path, one shared emptyDir.
    socket = (config.get("membership") or {}).get("socket")
    controller_socket = arg_value(controller.get("args") or [], "--socket") or "/var/run/portico/membership.sock"
    if not socket:
        problems.add(where, "proxy config: no membership.socket")
    elif socket != controller_socket:
        problems.add(where, "membership socket: the proxy connects to %s, the controller listens on %s" % (
            socket, controller_socket))
    else:
        directory = os.path.dirname(socket)
        mounts = [mount_for(c, socket) for c in (proxy, controller)]
        if None in mounts:
            problems.add(where, "membership socket %s: not under a volume mount in both containers" % socket)
        elif mounts[0]["name"] != mounts[1]["name"]:
            problems.add(where, "membership socket %s: the containers mount different volumes (%s, %s)" % (
                socket, mounts[0]["name"], mounts[1]["name"]))
        elif "emptyDir" not in volumes.get(mounts[0]["name"], {}):
            problems.add(where, "membership socket %s: volume %s is not an emptyDir" % (socket, mounts[0]["name"]))
        elif any(m["mountPath"].rstrip("/") != directory for m in mounts):
            problems.add(where, "membership socket %s: mounted at %s and %s, expected %s in both" % (
                socket, mounts[0]["mountPath"], mounts[1]["mountPath"], directory))
        # The controller makes the socket with its umask (no write for
        # others): the proxy can connect only as the same user.
        users = [(c.get("securityContext") or {}).get("runAsUser", (pod.get("securityContext") or {}).get("runAsUser"))
                 for c in (proxy, controller)]
        if users[0] is None or users[0] != users[1]:
            problems.add(where, "%s: proxy and controller must run as one user (runAsUser %s and %s) to share the socket" % (
                name, users[0], users[1]))

    # The controller's status port.
    http = arg_value(controller.get("args") or [], "--http") or "127.0.0.1:8091"
    if http.startswith("127.") or http.startswith("localhost"):
        problems.add(where, "%s: controller --http %s is on loopback: the kubelet cannot probe it" % (name, http))
    elif port_of(http) not in container_ports(controller).values():
        problems.add(where, "%s: controller --http %s is not a container port (%s)" % (
            name, http, container_ports(controller)))

    # Graceful shutdown: the kubelet must not kill a draining proxy.
    drain = config.get("drain") or {}
    try:
        needed = parse_duration(drain.get("delay", "0")) + parse_duration(drain.get("timeout", "30s"))
    except ValueError as error:
        problems.add(where, "proxy config: drain: %s" % error)
        needed = 0
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if grace <= needed:
        problems.add(where, "%s: terminationGracePeriodSeconds %s is not longer than drain.delay + drain.timeout (%gs)" % (
            name, grace, needed))
    pre_stop = (((controller.get("lifecycle") or {}).get("preStop") or {}).get("sleep") or {}).get("seconds", 0)
    if grace <= pre_stop:
        problems.add(where, "%s: terminationGracePeriodSeconds %s is not longer than the controller's preStop sleep" % (
            name, grace))

    # Service-account token: the controller's alone.
    service_account = pod.get("serviceAccountName", "default")
    if pod.get("automountServiceAccountToken") is not False:
        problems.add(where, name + ": automountServiceAccountToken is not false: every container would get the token")
    token_volumes = {n for n, v in volumes.items()
                     if any("serviceAccountToken" in s for s in (v.get("projected") or {}).get("sources") or [])}
    for container in (pod.get("containers") or []):
        mounts = container.get("volumeMounts") or []
        has_token = any(m["name"] in token_volumes or m["mountPath"].startswith(TOKEN_DIR) for m in mounts)
        if container is controller and not any(m["name"] in token_volumes and m["mountPath"].rstrip("/") == TOKEN_DIR
                                               for m in mounts):
            problems.add(where, "%s: the controller has no token volume at %s" % (name, TOKEN_DIR))
        if container is not controller and has_token:
            problems.add(where, "%s: container %s mounts a service-account token" % (name, container.get("name")))
    accounts = [o for o in objects if o.get("kind") == "ServiceAccount" and o["metadata"]["name"] == service_account
                and o["metadata"].get("namespace") == namespace]
    if not accounts:
        problems.add(where, "%s: ServiceAccount %s is not in the manifests" % (name, service_account))
    elif accounts[0].get("automountServiceAccountToken") is not False:
        problems.add(where, "ServiceAccount %s: automountServiceAccountToken is not false" % service_account)
    check_rbac(where, objects, service_account, namespace, problems)

    # The Service in front: 443 to the proxy's TLS port.
    fronts = [o for o in objects if o.get("kind") == "Service" and (o.get("spec") or {}).get("type") == "LoadBalancer"]
    if len(fronts) != 1:
        problems.add(where, "expected one Service of type LoadBalancer, found %d" % len(fronts))
    else:
        service_ports = (fronts[0].get("spec") or {}).get("ports") or []
        if not any(p.get("port") == 443 and p.get("targetPort") in ("https", ports.get("https")) for p in service_ports):
            problems.add(where, "%s: no port 443 to the proxy's https port" % describe(fronts[0]))
    if not [o for o in objects if o.get("kind") == "PodDisruptionBudget"
            and selects(((o.get("spec") or {}).get("selector") or {}).get("matchLabels") or {},
                        (pod_template(deployment).get("metadata") or {}).get("labels") or {})]:
        problems.add(where, name + ": no PodDisruptionBudget")


def check_rbac(where, objects, service_account, namespace, problems):
    def bound(binding):
        return any(s.get("kind") == "ServiceAccount" and s.get("name") == service_account
                   and s.get("namespace", (binding["metadata"].get("namespace"))) == namespace
                   for s in binding.get("subjects") or [])

    bindings = [o for o in objects if o.get("kind") in ("RoleBinding", "ClusterRoleBinding") and bound(o)]
    granted = {}
    for binding in bindings:
        ref = binding.get("roleRef") or {}
        roles = [o for o in objects if o.get("kind") == ref.get("kind") and o["metadata"]["name"] == ref.get("name")]
        if not roles:
            problems.add(where, "%s: refers to %s %s, which is not in the manifests" % (
                describe(binding), ref.get("kind"), ref.get("name")))
            continue
        for rule in roles[0].get("rules") or []:
            if rule.get("resourceNames") or rule.get("nonResourceURLs"):
                problems.add(where, "%s: unexpected rule %s" % (describe(roles[0]), rule))
            for group in rule.get("apiGroups") or []:
                for resource in rule.get("resources") or []:
                    granted.setdefault((group, resource), set()).update(rule.get("verbs") or [])
    if granted != LEAST_RBAC:
        def show(rules):
            return "; ".join("%s/%s: %s" % (g or "core", r, ",".join(sorted(v))) for (g, r), v in sorted(rules.items()))
        problems.add(where, "RBAC of ServiceAccount %s/%s is not the least set:\n    granted:  %s\n    expected: %s" % (
            namespace, service_account, show(granted), show(LEAST_RBAC)))
