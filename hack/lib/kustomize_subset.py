"""The part of kustomize that manifests/ uses, for machines without kubectl 1.27+.

Debian's own kubectl (1.20) carries a kustomize too old for manifests/, and
neither Debian nor PyPI has a newer one. hack/check-manifests renders with
`kubectl kustomize` when it can and with this otherwise, so that a fresh
machine still checks every overlay. It supports, and refuses anything else
in a kustomization: resources (files and directories), namespace,
configMapGenerator with files (name suffixed with a content hash, references
in pod templates renamed to match), patches with a target (merged as a
strategic merge patch would merge these maps), and images (newName, newTag).
"""
import copy
import hashlib
import os

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "configMapGenerator", "patches", "images"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass",
                  "StorageClass"}


class Unsupported(Exception):
    pass


def render(directory, yaml):
    """The objects `kubectl kustomize directory` would print, for the supported subset."""
    k = yaml.safe_load(open(os.path.join(directory, "kustomization.yaml")))
    unknown = set(k) - SUPPORTED
    if unknown:
        raise Unsupported("%s: fields %s need kubectl 1.27+" % (directory, ", ".join(sorted(unknown))))
    objects = []
    for entry in k.get("resources") or []:
        path = os.path.normpath(os.path.join(directory, entry))
        if os.path.isdir(path):
            objects += render(path, yaml)
        else:
            objects += [d for d in yaml.safe_load_all(open(path)) if d is not None]
    renames = {}
    for generator in k.get("configMapGenerator") or []:
        data = {}
        for entry in generator.get("files") or []:
            key, _, file = entry.rpartition("=")
            data[key or os.path.basename(file)] = open(os.path.join(directory, file)).read()
        digest = hashlib.sha256(repr(sorted(data.items())).encode()).hexdigest()[:10]
        name = "%s-%s" % (generator["name"], digest)
        renames[generator["name"]] = name
        objects.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})
    for obj in objects:
        if k.get("namespace") and obj.get("kind") not in CLUSTER_SCOPED:
            obj.setdefault("metadata", {})["namespace"] = k["namespace"]
        if k.get("namespace") and obj.get("kind") in ("RoleBinding", "ClusterRoleBinding"):
            for subject in obj.get("subjects") or []:
                if subject.get("kind") == "ServiceAccount":
                    subject["namespace"] = k["namespace"]
        for volume in _pod_spec(obj).get("volumes") or []:
            config_map = volume.get("configMap")
            if config_map and config_map.get("name") in renames:
                config_map["name"] = renames[config_map["name"]]
    for patch in k.get("patches") or []:
        target = patch.get("target") or {}
        body = yaml.safe_load(patch["patch"])
        for obj in objects:
            if all(obj.get(f) == target[f] for f in ("kind",) if f in target) and \
                    (obj.get("metadata") or {}).get("name") == target.get("name", obj["metadata"]["name"]):
                _merge(obj, body)
    for image in k.get("images") or []:
        for obj in objects:
            spec = _pod_spec(obj)
            for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
                name, _, tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = "%s:%s" % (image.get("newName", name), image.get("newTag", tag or "latest"))
    return objects


def _pod_spec(obj):
    template = (obj.get("spec") or {}).get("template") or {}
    return template.get("spec") or {}


def _merge(target, patch):
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
