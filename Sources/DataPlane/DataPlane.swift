// DataPlane module.
