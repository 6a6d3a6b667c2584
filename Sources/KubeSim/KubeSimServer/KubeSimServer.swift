// KubeSimServer module.
