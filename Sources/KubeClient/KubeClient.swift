// KubeClient module.
