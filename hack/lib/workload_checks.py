"""Invariants of every workload and Service: selectors, ports, probes, security, resources."""
import os
import re

from manifest_objects import (IMAGES, container_ports, describe, image_name, pod_template, port_exists, selects,
                              workloads)

# A resource.Quantity, which the schemas leave to a string: 250m, 64Mi, 1e3, 2.
QUANTITY = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?[0-9]+)?$")


def check_workload_basics(where, objects, problems):
    for workload in workloads(objects):
        name = describe(workload)
        spec = workload.get("spec") or {}
        template = pod_template(workload)
        labels = (template.get("metadata") or {}).get("labels") or {}
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        if not selects(selector, labels):
            problems.add(where, "%s: selector %s does not match the pod labels %s" % (name, selector, labels))
        pod = template.get("spec") or {}
        pod_security = pod.get("securityContext") or {}
        for container in (pod.get("containers") or []) + (pod.get("initContainers") or []):
            cname = "%s container %s" % (name, container.get("name"))
            security = container.get("securityContext") or {}
            if not (security.get("runAsNonRoot", pod_security.get("runAsNonRoot")) is True):
                problems.add(where, cname + ": runAsNonRoot is not true")
            if security.get("runAsUser", pod_security.get("runAsUser")) == 0:
                problems.add(where, cname + ": runAsUser is 0")
            if security.get("readOnlyRootFilesystem") is not True:
                problems.add(where, cname + ": readOnlyRootFilesystem is not true")
            if security.get("allowPrivilegeEscalation") is not False:
                problems.add(where, cname + ": allowPrivilegeEscalation is not false")
            if security.get("privileged"):
                problems.add(where, cname + ": privileged")
            capabilities = security.get("capabilities") or {}
            if "ALL" not in (capabilities.get("drop") or []):
                problems.add(where, cname + ": capabilities.drop does not contain ALL")
            if capabilities.get("add"):
                problems.add(where, cname + ": adds capabilities %s" % capabilities["add"])
            seccomp = (security.get("seccompProfile") or pod_security.get("seccompProfile") or {}).get("type")
            if seccomp != "RuntimeDefault":
                problems.add(where, cname + ": seccompProfile is %s, not RuntimeDefault" % seccomp)
            resources = container.get("resources") or {}
            for kind in ("requests", "limits"):
                for key, value in (resources.get(kind) or {}).items():
                    if not QUANTITY.match(str(value)):
                        problems.add(where, "%s: resources.%s.%s %r is not a quantity" % (cname, kind, key, value))
            for kind, keys in (("requests", ("cpu", "memory")), ("limits", ("memory",))):
                for key in keys:
                    if key not in (resources.get(kind) or {}):
                        problems.add(where, "%s: no resources.%s.%s" % (cname, kind, key))
            for probe_kind in ("readinessProbe", "livenessProbe", "startupProbe"):
                probe = container.get(probe_kind)
                if not probe:
                    continue
                for handler in ("httpGet", "tcpSocket", "grpc"):
                    if handler in probe and not port_exists(container, probe[handler].get("port")):
                        problems.add(where, "%s: %s %s port %r is not a port of the container (ports: %s)" % (
                            cname, probe_kind, handler, probe[handler].get("port"), container_ports(container)))
            if "readinessProbe" not in container or "livenessProbe" not in container:
                problems.add(where, cname + ": needs a readinessProbe and a livenessProbe")
            # The sample services' test hooks let any client make the server
            # wait or fail; manifests expose the samples to the internet.
            if any(str(arg).startswith("--test-hooks") for arg in
                   (container.get("command") or []) + (container.get("args") or [])):
                problems.add(where, cname + ": --test-hooks is for tests only, never in a manifest")
        volumes = {v["name"] for v in pod.get("volumes") or []}
        for container in pod.get("containers") or []:
            for mount in container.get("volumeMounts") or []:
                if mount["name"] not in volumes:
                    problems.add(where, "%s container %s: mounts volume %s, which the pod does not have" % (
                        name, container.get("name"), mount["name"]))


def check_services(where, objects, problems):
    for service in [o for o in objects if o.get("kind") == "Service"]:
        spec = service.get("spec") or {}
        selector = spec.get("selector")
        if not selector:
            continue
        namespace = (service.get("metadata") or {}).get("namespace")
        pods = [w for w in workloads(objects)
                if (w.get("metadata") or {}).get("namespace") == namespace
                and selects(selector, (pod_template(w).get("metadata") or {}).get("labels") or {})]
        if not pods:
            problems.add(where, "%s: selector %s selects no pod template in namespace %s" % (
                describe(service), selector, namespace))
            continue
        for port in spec.get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            for workload in pods:
                containers = (pod_template(workload).get("spec") or {}).get("containers") or []
                if not any(port_exists(c, target) for c in containers):
                    problems.add(where, "%s: port %s targets %r, which no container of %s has" % (
                        describe(service), port.get("name") or port.get("port"), target, describe(workload)))
        annotations = (service.get("metadata") or {}).get("annotations") or {}
        if annotations.get("portico.dev/expose") == "true":
            wanted = annotations.get("portico.dev/port")
            names = [p.get("name") for p in spec.get("ports") or []]
            numbers = [p.get("port") for p in spec.get("ports") or []]
            if wanted is not None and wanted not in names and not (wanted.isdigit() and int(wanted) in numbers):
                problems.add(where, "%s: portico.dev/port %r is not a port of the Service (%s)" % (
                    describe(service), wanted, names))
            if not annotations.get("portico.dev/grpc-services"):
                problems.add(where, "%s: exposed without portico.dev/grpc-services" % describe(service))
    for pdb in [o for o in objects if o.get("kind") == "PodDisruptionBudget"]:
        selector = ((pdb.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        namespace = (pdb.get("metadata") or {}).get("namespace")
        if not any(selects(selector, (pod_template(w).get("metadata") or {}).get("labels") or {})
                   and (w.get("metadata") or {}).get("namespace") == namespace for w in workloads(objects)):
            problems.add(where, "%s: selects no pod template" % describe(pdb))


def check_images(where, objects, problems):
    for workload in workloads(objects):
        for container in (pod_template(workload).get("spec") or {}).get("containers") or []:
            if image_name(container.get("image", "")) not in IMAGES:
                problems.add(where, "%s container %s: image %s is not one hack/images builds (%s)" % (
                    describe(workload), container.get("name"), container.get("image"), ", ".join(sorted(IMAGES))))


def check_overlay_specifics(where, directory, objects, problems):
    """What the internal and samples overlays add."""
    name = os.path.basename(directory)
    fronts = [o for o in objects if o.get("kind") == "Service" and (o.get("spec") or {}).get("type") == "LoadBalancer"]
    if name == "internal":
        for service in fronts:
            annotations = (service.get("metadata") or {}).get("annotations") or {}
            if annotations.get("networking.gke.io/load-balancer-type") != "Internal":
                problems.add(where, "%s: no networking.gke.io/load-balancer-type: \"Internal\"" % describe(service))
    if name == "samples" and directory.endswith(os.path.join("overlays", "samples")):
        exposed = {o["metadata"]["name"]: o for o in objects if o.get("kind") == "Service"
                   and ((o["metadata"].get("annotations") or {}).get("portico.dev/expose") == "true")}
        for sample, service_name in (("echo-grpc", "api.Echo"), ("reverse-grpc", "api.Reverse")):
            service = exposed.get(sample)
            if service is None:
                problems.add(where, "Service %s is not exposed through Portico" % sample)
                continue
            if (service.get("spec") or {}).get("clusterIP") != "None":
                problems.add(where, "%s: not headless (clusterIP: None)" % describe(service))
            if service["metadata"]["annotations"].get("portico.dev/grpc-services") != service_name:
                problems.add(where, "%s: portico.dev/grpc-services is not %s" % (describe(service), service_name))
            deployments = [w for w in workloads(objects) if w["metadata"]["name"] == sample]
            if not deployments or (deployments[0].get("spec") or {}).get("replicas") != 2:
                problems.add(where, "Deployment %s: expected 2 replicas" % sample)
